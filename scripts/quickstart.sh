#!/usr/bin/env bash
# The main job on the embedded default, for `make up`, `make destroy` and `make down`.
#   up       find or build the Pulumi engine (scripts/engine.py), set up .venv, validate stacks/$STACK.yaml,
#            start the local Twilio API emulator, use a Pulumi state backend inside the project, select or create
#            the stack, `pulumi up`, print its outputs.
#   destroy  `pulumi destroy` the stack (against the same account), then stop the emulator.
#   down     stop the emulator (what it holds stays in .emulator/data.json).
#   emulator run the emulator in the foreground on that data file (`make emulator`).
#   env      print the shell lines that give a shell what `up` runs pulumi with (`eval "$(make env)"`): the engine on
#            PATH, the project's state backend and passphrase, and unless TWILIO=yes the emulator's settings.
# The local emulator is the target unless TWILIO=yes: then the account that the stack's config or the TWILIO_*
# variables name is changed, after it is named and `pulumi` has asked. Nothing reaches a real account otherwise.
# STACK (default dev), TWILIO and FLEX_EMULATOR_PORT (default: the emulator's own, 8765) can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

command=${1:-up}
STACK=${STACK:-dev}
TWILIO=${TWILIO:-}
PY=.venv/bin/python
USER_PATH=$PATH
EMULATOR_DIR=.emulator
DATA_FILE=$PWD/$EMULATOR_DIR/data.json
LEGACY_DATA_FILE=$PWD/$EMULATOR_DIR/channels.json
# The data file's name until it held flows and addresses too: moved to DATA_FILE once (move_legacy_data), so nobody's
# emulator data is lost; an emulator an earlier version of this script started on it is still this project's.

step() { printf '==> %s\n' "$*"; }

# $EMULATOR_DIR/pid holds "PID START": the emulator's PID and when that process started. A PID that
# the system has since given to another process (after a reboot, say) has another start time or
# command line, and is never taken for the emulator.
started_at() {
  if [ -r "/proc/$1/stat" ]; then
    # field 22 of stat; counted after the ") " that ends the command name, which may hold spaces
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
  else
    ps -o lstart= -p "$1" 2>/dev/null | awk '{$1 = $1; print}'
  fi
}

command_line() {
  if [ -r "/proc/$1/cmdline" ]; then
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null
  else
    ps -o args= -p "$1" 2>/dev/null
  fi
}

# Prints the PID of this project's running emulator; fails when the pid file names none.
emulator_pid() {
  local pid='' start=''
  [ -f "$EMULATOR_DIR/pid" ] && read -r pid start <"$EMULATOR_DIR/pid"
  [ -n "$pid" ] && [ -n "$start" ] && [ "$(started_at "$pid")" = "$start" ] || return 1
  case "$(command_line "$pid")" in
    *twilio_emulator*"--data $DATA_FILE"* | *twilio_emulator*"--data $LEGACY_DATA_FILE"*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# Moves .emulator/channels.json to .emulator/data.json, once, while no emulator holds it: it takes the file's lock as an
# emulator does (twilio_emulator.store), so one still running on the old name keeps its file and is named instead.
move_legacy_data() {
  [ -e "$LEGACY_DATA_FILE" ] || [ -L "$LEGACY_DATA_FILE" ] || return 0
  if [ -e "$DATA_FILE" ] || [ -L "$DATA_FILE" ]; then
    step "Not moving $EMULATOR_DIR/channels.json: $EMULATOR_DIR/data.json exists, and the emulator uses that"
    return 0
  fi
  step "Moving the emulator's data from $EMULATOR_DIR/channels.json to $EMULATOR_DIR/data.json (its new name)"
  "$PY" - "$LEGACY_DATA_FILE" "$DATA_FILE" <<'PYTHON'
import os, sys
from pathlib import Path
from twilio_emulator.store import FileStore, StoreError
old, new = map(Path, sys.argv[1:])
try:
    store = FileStore(old)
except StoreError as exc:
    sys.exit(f"cannot move it to {new.name}: {exc}")
try:
    os.rename(old, new)
finally:
    store.close()
PYTHON
}

# With --say-none (`make down`), says so when there is nothing to stop, since a user who asked expects a word.
stop_emulator() {
  local pid stale=''
  [ -f "$EMULATOR_DIR/pid" ] && stale=$(cut -d' ' -f1 "$EMULATOR_DIR/pid")
  if pid=$(emulator_pid); then
    step "Stopping the local Twilio API emulator (pid $pid)"
    kill "$pid"
  elif [ -n "$stale" ] && kill -0 "$stale" 2>/dev/null; then
    step "Not stopping pid $stale: it is not the emulator this project started (the pid file is older than that process)"
  elif [ "${1:-}" = --say-none ]; then
    step "No emulator that 'make up' started is running (one that 'make emulator' runs stops with Ctrl-C in its shell)"
  fi
  rm -f "$EMULATOR_DIR/pid"
}

emulator_port() {
  echo "${FLEX_EMULATOR_PORT:-$("$PY" -c 'import twilio_emulator; print(twilio_emulator.DEFAULT_PORT)')}"
}

start_emulator() {
  PORT=$(emulator_port)
  mkdir -p "$EMULATOR_DIR"
  if ! emulator_pid >/dev/null; then
    move_legacy_data
    step "Starting the local Twilio API emulator on http://127.0.0.1:$PORT (log: $EMULATOR_DIR/emulator.log)"
    nohup "$PY" -m twilio_emulator --port "$PORT" --data "$DATA_FILE" >"$EMULATOR_DIR/emulator.log" 2>&1 &
    echo "$! $(started_at "$!")" >"$EMULATOR_DIR/pid"
  fi
  "$PY" - "$PORT" <<'PYTHON'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/_emulator/stats"
for _ in range(100):
    try:
        urllib.request.urlopen(url, timeout=1).read()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(f"the emulator did not answer on {url} within 10 s; see .emulator/emulator.log")
PYTHON
  # The emulator's account and URL, from the one place they live (twilio_emulator), as the CLI prints them.
  EMULATOR_ENV=$("$PY" -m flex_provider emulator-env "$PORT")
  eval "$EMULATOR_ENV"
}

# What pulumi runs with here: a state backend inside the project unless the user chose one, an empty passphrase
# unless one is set. STATE_ENV gets the shell lines that set what it chose (a backend or passphrase the user set is
# theirs, in their shell already, and never printed).
local_state() {
  STATE_ENV=""
  if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    export PULUMI_BACKEND_URL=file://$PWD/.pulumi-state
    STATE_ENV+=$(printf 'export PULUMI_BACKEND_URL=%q' "$PULUMI_BACKEND_URL")$'\n'
  fi
  if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE=""
    STATE_ENV+="export PULUMI_CONFIG_PASSPHRASE=''"$'\n'
  fi
  export PULUMI_SKIP_UPDATE_CHECK=true
  STATE_ENV+="export PULUMI_SKIP_UPDATE_CHECK=true"$'\n'
}

# The lines `make env` prints: the engine on PATH (unless the user's own PATH, as this script found it, already runs
# that pulumi: putting its folder first would reorder their PATH), the state, and (EMULATOR_ENV, unless TWILIO=yes)
# the emulator.
shell_env() {
  local theirs
  theirs=$(PATH=$USER_PATH command -v pulumi 2>/dev/null) || true
  if [ -z "$theirs" ] || [ "$(realpath "$theirs")" != "$(realpath "$engine_bin/pulumi")" ]; then
    printf 'export PATH=%q:"$PATH"\n' "$engine_bin"
  fi
  printf '%s' "$STATE_ENV"
  [ -z "${EMULATOR_ENV:-}" ] || printf '%s\n' "$EMULATOR_ENV"
}

# After a destroy, what the emulator still holds, said before it stops: a resource kept by `retain_on_delete`, or another
# stack's, stays in .emulator/data.json and would be listed after the next `make up`.
emulator_holds() {
  "$PY" - "$FLEX_API_URL" <<'PYTHON' || true
import json, sys, urllib.request
from flex_provider.declarations import RESOURCE_TYPES
from flex_provider.values import counted
try:
    with urllib.request.urlopen(f"{sys.argv[1]}/_emulator/stats", timeout=5) as answer:
        stats = json.load(answer)
except (OSError, ValueError) as error:  # only a report: the destroy itself succeeded
    sys.exit(f"(could not ask the emulator what it still holds: {type(error).__name__})")
held = [counted(stats[rtype.section], rtype.noun) for rtype in RESOURCE_TYPES if stats.get(rtype.section)]
if not held:
    print("==> The emulator holds nothing now")
else:
    print(f"==> The emulator still holds {', '.join(held)}: kept by retain_on_delete or another stack's "
          "(`pulumi stack ls` after eval \"$(make env)\"); `make clean` empties it")
PYTHON
}

# The settings (SOURCES of flex_provider/settings.py) that choose where requests go: what an emulator run must not
# mix in, and a TWILIO=yes run names.
target_settings() {
  "$PY" -c 'from flex_provider.settings import SOURCES
for source in SOURCES.values():
    if source.targets:
        for key in dict.fromkeys((source.config_key, source.native_key)):
            print(key, source.env_var)'
}

# Prints the config keys among those that the stack's config sets.
configured_targets() {
  local keys
  keys=$(target_settings | cut -d' ' -f1)
  pulumi config --json --stack "$STACK" | "$PY" -c 'import json, sys
config = json.load(sys.stdin)
print(" ".join(key for key in sys.argv[1:] if key in config))' $keys
}

use_emulator() {
  local found
  found=$(configured_targets)
  if [ -n "$found" ]; then
    echo "Stack '$STACK' sets $found in its config (Pulumi.$STACK.yaml), and that would send its requests to that" >&2
    echo "account instead of the local emulator. To change that account, run 'make $command TWILIO=yes'; to use" >&2
    echo "the emulator, remove those settings ('pulumi config rm <key> --stack $STACK')." >&2
    exit 2
  fi
  # The environment's Twilio settings (a real account's, perhaps) are set aside for this run only.
  while read -r _ env_var; do unset "$env_var"; done < <(target_settings)
  start_emulator
  step "Using the local emulator on $FLEX_API_URL. To use pulumi and the CLI on it in your shell, eval \"\$(make env)\":"
  shell_env | sed 's/^/    /'
  echo "    pulumi stack output --stack $STACK; $PY -m flex_provider channels list"
}

# TWILIO=yes: the account the stack's config or the environment names, said out loud; `pulumi` then asks. Each
# setting is found as the provider finds it (the stack's config under either namespace, else the environment), and
# a run that would still reach the local emulator is refused: its settings are what `eval "$(make env)"` left in
# the shell, and with a real account's token in the config they would send that token to whatever listens there.
use_twilio() {
  local config said
  config=$(pulumi config --json --stack "$STACK")
  said=$("$PY" - "$STACK" "$config" <<'PYTHON'
import json, os, re, sys
from urllib.parse import urlsplit
from flex_provider.declaration import sid_pattern
from flex_provider.endpoints import quote_url
from flex_provider.loopback import is_loopback
from flex_provider.settings import SOURCES, from_config
from twilio_emulator import DEFAULT_ACCOUNT_SID
stack = sys.argv[1]
config = {key: entry.get("value") for key, entry in json.loads(sys.argv[2]).items() if not entry.get("secret")}

def found(name: str) -> tuple[str, str] | None:
    """The setting and where it came from, as the provider reads it."""
    source = SOURCES[name]
    given = from_config(source, config.get)
    if given:
        return given[1], f"{given[0]} in the config of stack '{stack}'"
    value = os.environ.get(source.env_var, "").strip()
    return (value, source.env_var) if value else None

leave = ("open a new shell, or `unset FLEX_API_URL TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN` (what eval \"$(make env)\" "
         "set), then run it again")
url = found("api_url")
if url:
    try:
        host = urlsplit(url[0]).hostname or ""
    except ValueError:
        host = ""
    if is_loopback(host):
        sys.exit(f"TWILIO=yes changes a real Twilio account, but {url[1]} sends the requests to "
                 f"{quote_url(url[0])}, a local emulator: {leave}")
account = found("account_sid")
if not account:
    sys.exit(f"TWILIO=yes, but no Twilio account is configured: set twilio:accountSid and --secret twilio:authToken "
             f"for stack '{stack}' (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN), or leave TWILIO unset to use the "
             "emulator.")
sid, source = account
if not re.fullmatch(sid_pattern("AC"), sid):
    sys.exit(f"TWILIO=yes, but {source} is not an Account SID: 'AC' and 32 hex digits")
if sid == DEFAULT_ACCOUNT_SID:
    sys.exit(f"TWILIO=yes changes a real Twilio account, but {source} is the local emulator's test account: {leave}")
print(f"{sid} (from {source})")
PYTHON
) || exit 2
  step "This changes Twilio account $said. Pulumi shows what it will do and asks first."
}

# What the user typed, as every message of the project quotes it (flex_provider.values.quote): escaped, so a value
# cannot send an escape sequence to the terminal or forge a line, and a look-alike letter shows as its code point.
quoted() {
  "${PYTHON:-python3}" -c 'import sys; from flex_provider.values import quote; print(quote(sys.argv[1]))' "$1"
}

# Whether $1 holds only characters of the `tr` set $2: byte by byte, whatever the locale makes of ranges. The '.'
# keeps a trailing newline, which $(…) would drop.
only() {
  [ "$(printf '%s' "$1" | LC_ALL=C tr -d "$2"; echo .)" = . ]
}

# The settings from the environment, checked before anything is run or echoed: STACK names a file (stacks/$STACK.yaml)
# and is in every step's line, the port is part of the URL the emulator is awaited on, TWILIO chooses the account.
refuse() {
  echo "$1 must be $2, not $(quoted "$3")" >&2
  exit 2
}
if [ -z "$STACK" ] || [ "${#STACK}" -gt 100 ] || ! only "$STACK" 'A-Za-z0-9._-' || ! only "${STACK:0:1}" 'A-Za-z0-9'
then
  refuse STACK "a stack name: a letter or digit, then letters, digits, '.', '_' and '-' (it names \
stacks/<STACK>.yaml and the Pulumi stack)" "$STACK"
fi
port=${FLEX_EMULATOR_PORT:-}
if [ -n "$port" ] && { [ "${#port}" -gt 5 ] || ! only "$port" '0-9' || [ "$((10#$port))" -lt 1 ] ||
                       [ "$((10#$port))" -gt 65535 ]; }; then
  refuse FLEX_EMULATOR_PORT "the local emulator's TCP port, from 1 to 65535" "$port"
fi
case "$TWILIO" in
  yes | "") ;;
  *) refuse TWILIO "'yes' (change the account the stack's config names) or unset (the emulator)" "$TWILIO" ;;
esac

if [ "$command" = down ]; then
  stop_emulator --say-none
  exit 0
fi

if [ "$command" = emulator ]; then
  if pid=$(emulator_pid); then
    echo "The emulator that 'make up' started is running already (pid $pid, on $DATA_FILE): use that one, or" \
         "stop it with 'make down' first." >&2
    exit 2
  fi
  move_legacy_data
  step "To use the CLI against it, in another shell:"
  PORT=$(emulator_port)
  "$PY" -m flex_provider emulator-env "$PORT" | sed 's/^/    /'
  exec "$PY" -m twilio_emulator --port "$PORT" --data "$DATA_FILE"
fi

if [ "$command" = env ]; then
  engine_bin=$("${PYTHON:-python3}" scripts/engine.py --cached-only --for env)
  local_state
  if [ "$TWILIO" != yes ]; then
    if [ ! -x "$PY" ]; then
      echo "There is no .venv here yet: run 'make up' first, then eval \"\$(make env)\"." >&2
      exit 2
    fi
    EMULATOR_ENV=$("$PY" -m flex_provider emulator-env "$(emulator_port)")
  fi
  shell_env
  exit 0
fi

# The Pulumi engine: the CLI on PATH, else one this machine made or downloaded before, else Pulumi's release
# download, else a build from Pulumi's Go modules (scripts/engine.py says which). PATH changes for this script only.
step "Finding the Pulumi engine"
engine_bin=$("${PYTHON:-python3}" scripts/engine.py --download --for "$command")
export PATH="$engine_bin:$PATH"

step "Setting up .venv"
make --no-print-directory setup

local_state
mkdir -p .pulumi-state

if [ "$command" = up ]; then
  step "Validating stacks/$STACK.yaml"
  "$PY" -m flex_provider validate "stacks/$STACK.yaml"
fi

# The backend's URL as messages quote a URL (flex_provider.endpoints.quote_url): a database backend's holds its
# password, which Pulumi's own messages hide too.
backend_shown=$("$PY" -c 'import sys; from flex_provider.endpoints import quote_url
print(quote_url(sys.argv[1], 300))' "$PULUMI_BACKEND_URL")
step "Selecting stack '$STACK' (state: $backend_shown)"
pulumi stack select "$STACK" --create

case "$TWILIO" in
  yes) use_twilio ;;
  *) use_emulator ;;
esac
# On the emulator nothing real can change, so pulumi need not ask; on an account it always asks.
confirm=(--yes)
[ "$TWILIO" = yes ] && confirm=()

case "$command" in
  up)
    step "pulumi up: making the account match stacks/$STACK.yaml"
    pulumi up "${confirm[@]}" --stack "$STACK"
    step "Outputs of stack '$STACK' (flows, channels and addresses, by section)"
    pulumi stack output --json --stack "$STACK"
    ;;
  destroy)
    # --run-program: the provider uses the settings of now, not those saved by the last `up` (a rotated token).
    step "pulumi destroy: deleting the resources of stack '$STACK'"
    if ! pulumi destroy "${confirm[@]}" --run-program --stack "$STACK"; then
      if [ "$TWILIO" != yes ]; then
        echo "pulumi destroy of stack '$STACK' failed (above); the emulator keeps running on $FLEX_API_URL, so you" >&2
        echo "can look: eval \"\$(make env)\", then pulumi stack --stack $STACK or the list commands. 'make down' stops" >&2
        echo "it; 'make clean' forgets everything the emulator and the local state hold, and starts from nothing." >&2
      fi
      exit 1
    fi
    [ "$TWILIO" = yes ] || emulator_holds
    stop_emulator
    ;;
  *)
    echo "usage: scripts/quickstart.sh up|destroy|down|emulator|env" >&2
    exit 2
    ;;
esac
