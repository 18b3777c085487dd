#!/usr/bin/env bash
# The main job on the embedded default, for `make up`, `make destroy` and `make down`.
#   up       fetch the Pulumi CLI into .pulumi/bin unless one is on PATH (scripts/fetch_pulumi.py),
#            set up .venv, validate stacks/$STACK.yaml, start the local Twilio API emulator when no
#            Twilio credentials are configured, use a Pulumi state backend inside the project,
#            select or create the stack, `pulumi up`, print the channels.
#   destroy  `pulumi destroy` the stack (against the same API), then stop the emulator.
#   down     stop the emulator (its channels stay in .emulator/channels.json).
# STACK (default dev) and FLEX_EMULATOR_PORT (default 8765) can be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

command=${1:-up}
STACK=${STACK:-dev}
PORT=${FLEX_EMULATOR_PORT:-8765}
PY=.venv/bin/python
EMULATOR_DIR=.emulator
DATA_FILE=$PWD/$EMULATOR_DIR/channels.json
EMULATOR_ACCOUNT_SID=AC00000000000000000000000000000000
EMULATOR_AUTH_TOKEN=emulator-auth-token

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
    *twilio_emulator*"--data $DATA_FILE"*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

stop_emulator() {
  local pid stale
  if pid=$(emulator_pid); then
    step "Stopping the local Twilio API emulator (pid $pid)"
    kill "$pid"
  elif [ -f "$EMULATOR_DIR/pid" ]; then
    stale=$(cut -d' ' -f1 "$EMULATOR_DIR/pid")
    if [ -n "$stale" ] && kill -0 "$stale" 2>/dev/null; then
      step "Not stopping pid $stale: it is not the emulator this project started (the pid file is older than that process)"
    fi
  fi
  rm -f "$EMULATOR_DIR/pid"
}

start_emulator() {
  mkdir -p "$EMULATOR_DIR"
  if ! emulator_pid >/dev/null; then
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
  export TWILIO_ACCOUNT_SID=$EMULATOR_ACCOUNT_SID TWILIO_AUTH_TOKEN=$EMULATOR_AUTH_TOKEN
  export FLEX_API_URL="http://127.0.0.1:$PORT"
}

has_credentials() {
  if [ -n "${TWILIO_ACCOUNT_SID:-}" ] && { [ -n "${TWILIO_AUTH_TOKEN:-}" ] ||
       { [ -n "${TWILIO_API_KEY:-}" ] && [ -n "${TWILIO_API_SECRET:-}" ]; }; }; then
    return 0
  fi
  pulumi config get twilio:accountSid --stack "$STACK" >/dev/null 2>&1
}

if [ "$command" = down ]; then
  stop_emulator
  exit 0
fi

# The Pulumi CLI: the one on PATH, else the project's own, downloaded once into .pulumi/bin and verified.
# PATH changes for this script and what it runs only.
if ! command -v pulumi >/dev/null 2>&1; then
  [ -x .pulumi/bin/pulumi ] || "${PYTHON:-python3}" scripts/fetch_pulumi.py "$command"
  export PATH="$PWD/.pulumi/bin:$PATH"
fi

step "Setting up .venv"
make --no-print-directory setup

# A state backend inside the project, unless the user chose one; an empty passphrase unless set.
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE=""
fi
mkdir -p .pulumi-state

if [ "$command" = up ]; then
  step "Validating stacks/$STACK.yaml"
  "$PY" -m flex_provider validate "stacks/$STACK.yaml"
fi

step "Selecting stack '$STACK' (state: $PULUMI_BACKEND_URL)"
pulumi stack select "$STACK" --create

if has_credentials; then
  step "Using the Twilio credentials from the stack's config or the environment"
else
  start_emulator
fi

case "$command" in
  up)
    step "pulumi up: making the account match stacks/$STACK.yaml"
    pulumi up --yes --stack "$STACK"
    step "Outputs of stack '$STACK' (flows, channels and addresses, by section)"
    pulumi stack output --json --stack "$STACK"
    ;;
  destroy)
    step "pulumi destroy: deleting the channels of stack '$STACK'"
    pulumi destroy --yes --stack "$STACK"
    stop_emulator
    ;;
  *)
    echo "usage: scripts/quickstart.sh up|destroy|down" >&2
    exit 2
    ;;
esac
