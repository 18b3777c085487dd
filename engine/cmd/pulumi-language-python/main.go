// pulumi-language-python runs Pulumi programs (and Python provider plugins) written in Python.
//
// Why it is ours: the Pulumi engine (the CLI, package github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) and the Python
// SDK's toolchain (github.com/pulumi/pulumi/sdk/v3/python/toolchain) are served by the Go module proxy, but the
// module of Pulumi's own Python language host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
// is not (the proxy answers 403 for every version and for its version list). This host is written against the same
// RPC contract (proto/language.proto of sdk/v3) and does what upstream's does (read at pulumi/pulumi 1b5949891b,
// sdk/python/cmd/pulumi-language-python/main.go): it starts `pulumi-language-python-exec` from sdk/v3 (installed
// beside it) in the project's virtualenv with the same arguments and environment, and runs Python plugins the same
// way. Everything Python-specific (finding the virtualenv, creating it, listing packages) is sdk/v3's toolchain
// package, as upstream uses it, and code generation (`pulumi package gen-sdk`, and the program `pulumi import`
// prints) is pkg/v3's own Python code generator, as upstream's GeneratePackage and GenerateProgram call it. Left
// out, because flex-channels never asks for them: debugger attachment, typecheckers, policy packs, new projects
// from templates, SDK linking and packing; each answers Unimplemented (or an error naming the option), as the engine
// expects of a host that lacks a feature.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	codegen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// The program executor shipped in sdk/v3 (python/cmd/pulumi-language-python-exec), installed beside this host.
	executorName = "pulumi-language-python-exec"
	// Environment variables through which the executor receives the stack's config (upstream's pulumiConfigVar and
	// pulumiConfigSecretKeysVar).
	configVar           = "PULUMI_CONFIG"
	configSecretKeysVar = "PULUMI_CONFIG_SECRET_KEYS"
	// The exit status by which the executor says it has already shown the user an actionable message
	// (upstream's pythonProcessExitedAfterShowingUserActionableMessage).
	exitAfterUserMessage = 32
)

// Packages known to have no plugin (upstream's packagesWithoutPlugins).
var packagesWithoutPlugins = map[string]bool{"pulumi-policy": true, "pulumi-esc-sdk": true}

func main() {
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	showVersion := flag.Bool("version", false, "Print the current plugin version and exit")
	givenExecutor := flag.String("use-executor", "", "Use the given program as the executor instead of the one beside this host")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		os.Exit(0)
	}
	logging.InitLogging(false, 0, false)

	executor := *givenExecutor
	if executor == "" {
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
		}
		executor = filepath.Join(filepath.Dir(self), executorName)
		if _, err := os.Stat(executor); err != nil {
			cmdutil.Exit(fmt.Errorf("missing executor %s: %w", executor, err))
		}
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}
	host := newHost(executor, engineAddress, *tracing)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelChannel := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancelChannel)
	}()
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelChannel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}
	// The engine reads the port from the first line of standard output.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type pythonHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	executor      string
	engineAddress string
	tracing       string
	cancel        context.Context // done once the engine sends Cancel
	cancelFunc    context.CancelFunc
}

func newHost(executor, engineAddress, tracing string) *pythonHost {
	ctx, cancel := context.WithCancel(context.Background())
	return &pythonHost{executor: executor, engineAddress: engineAddress, tracing: tracing, cancel: ctx,
		cancelFunc: cancel}
}

// options reads Pulumi.yaml's `runtime.options` as upstream's parseOptions does; a plugin with the pip toolchain
// and no virtualenv gets `venv`, since plugins never run in the ambient Python.
func options(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	opts := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	raw := info.GetOptions().AsMap()
	if value, ok := raw["virtualenv"]; ok {
		text, isText := value.(string)
		if !isText {
			return opts, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = text
	}
	if value, ok := raw["typechecker"]; ok && value != "" {
		return opts, fmt.Errorf("the typechecker option (%v) is not supported by this language host", value)
	}
	if value, ok := raw["toolchain"]; ok {
		switch value {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		case "uv":
			opts.Toolchain = toolchain.Uv
		default:
			return opts, fmt.Errorf("unsupported toolchain option: %v", value)
		}
	}
	if isPlugin && (opts.Toolchain == toolchain.Pip || opts.Toolchain == toolchain.Auto) && opts.Virtualenv == "" {
		opts.Virtualenv = "venv"
	}
	return opts, nil
}

func (host *pythonHost) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	host.engineAddress = req.EngineAddress
	healthCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	if err := rpcutil.Healthcheck(healthCtx, host.engineAddress, 5*time.Minute, stop); err != nil {
		return nil, fmt.Errorf("could not start health check host RPC server: %w", err)
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (host *pythonHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// pluginJSONPaths is upstream's script: each package's pulumi-plugin.json, or "" when it has none.
const pluginJSONPaths = `import importlib.metadata, importlib.util, os, sys, json
result = {}
for pkg_name in sys.argv[1:]:
	try:
		dist = importlib.metadata.distribution(pkg_name)
		module = dist.metadata['Name'].replace('-', '_')
		spec = importlib.util.find_spec(module)
		locs = list(spec.submodule_search_locations or []) if spec else []
		found = [p for l in locs for p in [os.path.join(str(l), 'pulumi-plugin.json')] if os.path.isfile(p)]
		result[pkg_name] = found[0] if found else ''
	except Exception:
		result[pkg_name] = ''
print(json.dumps(result))`

// GetRequiredPackages names the resource plugins of the program's Python packages: each package with a
// pulumi-plugin.json that says `resource: true`, as upstream does. A package that names no plugin version is
// skipped unless its own version is a plain N.N.N (upstream translates more PEP 440 forms; flex-channels' packages
// give their version explicitly).
func (host *pythonHost) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	opts, err := options(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, true, os.Stderr, os.Stderr); err != nil {
		return nil, err
	}
	installed, err := tc.ListPackages(ctx, true)
	if err != nil {
		return nil, err
	}
	names := []string{"-c", pluginJSONPaths}
	for _, pkg := range installed {
		names = append(names, pkg.Name)
	}
	cmd, err := tc.Command(ctx, names...)
	if err != nil {
		return nil, err
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the pulumi-plugin.json of the program's packages: %w", err)
	}
	var paths map[string]string
	if err := json.Unmarshal(out, &paths); err != nil {
		return nil, fmt.Errorf("reading the pulumi-plugin.json paths: %w", err)
	}
	packages := []*pulumirpc.PackageDependency{}
	for _, pkg := range installed {
		path := paths[pkg.Name]
		if packagesWithoutPlugins[pkg.Name] || path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var spec plugin.PulumiPluginJSON
		if err := json.Unmarshal(data, &spec); err != nil {
			return nil, fmt.Errorf("failed to parse pulumi-plugin.json for %s: %w", pkg.Name, err)
		}
		if !spec.Resource {
			continue
		}
		name, pluginVersion := spec.Name, spec.Version
		if name == "" {
			name = strings.TrimPrefix(pkg.Name, "pulumi-")
		}
		if pluginVersion == "" {
			if len(strings.Split(pkg.Version, ".")) != 3 {
				continue
			}
			pluginVersion = pkg.Version
		}
		if !strings.HasPrefix(pluginVersion, "v") {
			pluginVersion = "v" + pluginVersion
		}
		packages = append(packages, &pulumirpc.PackageDependency{
			Name: name, Version: pluginVersion, Kind: string(apitype.ResourcePlugin), Server: spec.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// Run starts the program through the executor, as upstream's Run does: the executor's arguments are the request's
// (constructArguments), the config arrives as JSON in PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS, the process runs
// in the project's virtualenv (the toolchain's Command), and an interrupt (then a kill after 5 s) ends it when the
// engine cancels.
func (host *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if host.engineAddress == "" {
		return nil, errors.New("when debugging or running explicitly, must call Handshake before Run")
	}
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this language host cannot attach a debugger"}, nil
	}
	opts, err := options(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	args := append([]string{host.executor}, host.arguments(req)...)
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	runCtx, runCancel := context.WithCancel(host.cancel)
	defer runCancel()
	context.AfterFunc(ctx, runCancel)
	cmd, err := tc.Command(runCtx, args...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	if req.GetConfig() != nil {
		env = append(env, configVar+"="+string(config))
	}
	cmd.Env = append(env, configSecretKeysVar+"="+string(secretKeysJSON))

	if err := cmd.Run(); err != nil {
		// Python does not flush its streams when it exits abnormally; make sure the engine sees what it wrote.
		_ = os.Stdout.Sync()
		_ = os.Stderr.Sync()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
			}, nil
		}
		status, ok := exitErr.Sys().(syscall.WaitStatus)
		switch {
		case !ok || status.ExitStatus() == 0:
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
		case status.ExitStatus() == exitAfterUserMessage:
			return &pulumirpc.RunResponse{Bail: true}, nil
		default:
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("program exited with non-zero exit code: %d", status.ExitStatus()),
			}, nil
		}
	}
	return &pulumirpc.RunResponse{}, nil
}

// arguments is upstream's constructArguments: each non-empty setting as `--name value`, then the entry point and
// the program's own arguments.
func (host *pythonHost) arguments(req *pulumirpc.RunRequest) []string {
	var args []string
	add := func(key, value string) {
		if value != "" {
			args = append(args, "--"+key, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", host.engineAddress)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", host.tracing)
	add("organization", req.GetOrganization())
	args = append(args, req.GetInfo().GetEntryPoint())
	return append(args, req.GetArgs()...)
}

// RunPlugin runs a Python plugin from source (a folder with PulumiPlugin.yaml), as upstream does for a bare
// directory: `python <folder> args…` in the plugin's virtualenv, with the request's extra environment. (Upstream
// also runs buildable packages through `pulumi.run.plugin` and policy packs; flex-channels uses neither.)
func (host *pythonHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	if req.Kind == string(apitype.AnalyzerPlugin) {
		return errors.New("this language host does not run policy packs")
	}
	ctx := server.Context()
	opts, err := options(req.GetInfo(), true)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(opts.Root, "__main__.py")); err != nil {
		return fmt.Errorf("plugin %s is not runnable here: it has no __main__.py (%w)", req.GetName(), err)
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	cmd, err := tc.Command(ctx, append([]string{req.GetInfo().GetProgramDirectory()}, req.GetArgs()...)...)
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.GetPwd()
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(status.ExitStatus())},
				})
			}
			return fmt.Errorf("program exited unexpectedly: %w", exitErr)
		}
		return fmt.Errorf("problem executing plugin program (could not run language executor): %w", err)
	}
	return closer.Close()
}

// InstallDependencies creates the virtualenv and installs requirements.txt into it (`pulumi install`), through
// the toolchain as upstream does.
func (host *pythonHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	opts, err := options(req.GetInfo(), req.GetIsPlugin())
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return err
	}
	if err := tc.InstallDependencies(server.Context(), req.GetInfo().GetProgramDirectory(),
		req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

func (host *pythonHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	opts := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		var err error
		if opts, err = options(req.GetInfo(), false); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(opts.Toolchain),
			"toolchainVersion": info.ToolchainVersion.String(),
		},
	}, nil
}

func (host *pythonHost) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	opts, err := options(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	tc, err := toolchain.ResolveToolchain(opts)
	if err != nil {
		return nil, err
	}
	found, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	dependencies := make([]*pulumirpc.DependencyInfo, len(found))
	for i, dep := range found {
		dependencies[i] = &pulumirpc.DependencyInfo{Name: dep.Name, Version: dep.Version}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: dependencies}, nil
}

func (host *pythonHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	host.cancelFunc()
	return &emptypb.Empty{}, nil
}

// GeneratePackage writes a Python SDK for a package schema (`pulumi package gen-sdk --language python`), with
// pkg/v3's Python code generator, as upstream's GeneratePackage does.
func (host *pythonHost) GeneratePackage(ctx context.Context, req *pulumirpc.GeneratePackageRequest,
) (*pulumirpc.GeneratePackageResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.Schema), &spec); err != nil {
		return nil, err
	}
	pkg, diags, err := schema.BindSpec(spec, schema.NewCachedLoader(loader),
		schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	diagnostics := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: diagnostics}, nil
	}
	files, err := codegen.GeneratePackage("pulumi-language-python", pkg, req.ExtraFiles, schema.NewCachedLoader(loader))
	if err != nil {
		return nil, err
	}
	for name, data := range files {
		target := filepath.Join(req.Directory, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return nil, fmt.Errorf("could not create output directory %s: %w", filepath.Dir(name), err)
		}
		if err := os.WriteFile(target, data, 0o600); err != nil {
			return nil, fmt.Errorf("could not write output file %s: %w", name, err)
		}
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: diagnostics}, nil
}

// GenerateProgram writes a Python program from PCL (the code `pulumi import` prints, `pulumi convert`), with pkg/v3's
// binder and Python code generator, as upstream's GenerateProgram does.
func (host *pythonHost) GenerateProgram(ctx context.Context, req *pulumirpc.GenerateProgramRequest,
) (*pulumirpc.GenerateProgramResponse, error) {
	loader, err := schema.NewLoaderClient(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	defer loader.Close()
	parser := syntax.NewParser()
	for path, contents := range req.Source {
		if err := parser.ParseFile(strings.NewReader(contents), path); err != nil {
			return nil, err
		}
		if parser.Diagnostics.HasErrors() {
			return nil, parser.Diagnostics
		}
	}
	options := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !req.Strict {
		options = append(options, pcl.NonStrictBindOptions()...)
	}
	program, diags, err := pcl.BindProgram(parser.Files, schema.NewCachedLoader(loader), options...)
	if err != nil {
		return nil, err
	}
	diagnostics := plugin.HclDiagnosticsToRPCDiagnostics(diags)
	if diags.HasErrors() {
		return &pulumirpc.GenerateProgramResponse{Diagnostics: diagnostics}, nil
	}
	if program == nil {
		return nil, errors.New("internal error: the bound program is nil")
	}
	files, diags, err := codegen.GenerateProgram(program)
	if err != nil {
		return nil, err
	}
	diagnostics = append(diagnostics, plugin.HclDiagnosticsToRPCDiagnostics(diags)...)
	return &pulumirpc.GenerateProgramResponse{Source: files, Diagnostics: diagnostics}, nil
}
