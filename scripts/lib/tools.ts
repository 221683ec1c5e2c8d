/**
 * The pinned toolchain: reads tools.json, installs each tool into .tools/ on first use and
 * reuses it afterwards. A tool can be replaced by one the user points to with
 * <NAME>_BIN (KCL_BIN, CROSSPLANE_BIN, HELM_BIN, …); a path that does not work is a warning,
 * not a silent fallback.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { UserError } from "./errors.js";
import { hashFolder, writeFileAtomic } from "./fsutil.js";
import { goModDownload } from "./gomod.js";
import { waitForLock } from "./lock.js";
import { displayPath, ROOT, TOOLS_DIR } from "./paths.js";

/** A Go tool built from a module on the Go module proxy (a package of that module). */
export interface GoModulePin {
  description: string;
  source: "go";
  module: string;
  version: string;
  package: string;
  versionArgs: string[];
  /** Extra -ldflags for go build. */
  ldflags?: string;
}

/**
 * A Go tool built from a module in this repository (`dir`, with its own go.mod and go.sum): a
 * program of ours, or a wrapper module that pins an upstream program's dependencies. Rebuilt
 * when any file of `dir` changes.
 */
export interface GoLocalPin {
  description: string;
  source: "go-local";
  dir: string;
  /** What it is, for --list (the upstream version a wrapper module pins, or our own version). */
  version: string;
  package: string;
  versionArgs: string[];
  ldflags?: string;
  /** Build tags (go build -tags). */
  tags?: string[];
}

export type GoToolPin = GoModulePin | GoLocalPin;

export interface PypiToolPin {
  description: string;
  source: "pypi";
  package: string;
  version: string;
  cliVersions: string;
}

export type ToolName =
  | "kcl"
  | "crossplane"
  | "function-auto-ready"
  | "helm"
  | "actionlint"
  | "chainsaw"
  | "registry"
  | "certgen"
  | "eg-validate"
  | "etcd"
  | "kube-apiserver"
  | "kubectl"
  | "crossplane-core";
export type GoToolName = Exclude<ToolName, "kcl">;

export interface Pins {
  kcl: PypiToolPin;
  crossplane: GoToolPin;
  "function-auto-ready": GoToolPin;
  helm: GoToolPin;
  actionlint: GoToolPin;
  chainsaw: GoToolPin;
  registry: GoToolPin;
  certgen: GoToolPin;
  etcd: GoToolPin;
  "kube-apiserver": GoToolPin;
  kubectl: GoToolPin;
  "crossplane-core": GoToolPin;
  /** Built once per Envoy Gateway version (scripts/lib/envoy-gateway/validator.ts), not by ensureGoTool. */
  "eg-validate": GoLocalPin;
}

export type Log = (line: string) => void;
const stderrLog: Log = (line) => process.stderr.write(line + "\n");

let pinsCache: Pins | undefined;
export function loadPins(): Pins {
  pinsCache ??= JSON.parse(readFileSync(join(ROOT, "tools.json"), "utf8")) as Pins;
  return pinsCache;
}

/** The pin of a tool built from a Go module of the proxy (whose sources other steps read too). */
export function goModulePin(name: GoToolName): GoModulePin {
  const pin = loadPins()[name];
  if (pin.source !== "go") throw new UserError(`tools.json: ${name} must come from a Go module of the proxy ("source": "go"), not ${pin.source}`);
  return pin;
}

/** Environment variable that overrides a tool: KCL_BIN, FUNCTION_AUTO_READY_BIN, … */
export function overrideVariable(name: ToolName): string {
  return name.toUpperCase().replace(/-/g, "_") + "_BIN";
}

/** Runs fn while holding the tool's install lock, so that parallel runs install once. */
async function withLock<T>(toolsDir: string, name: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const release = await waitForLock(join(toolsDir, "locks", `${name}.lock`), (holder) =>
    log(`waiting for another process installing ${name} (pid ${holder})…`),
  );
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Runs a long command, relaying its output with a prefix and a heartbeat. */
async function runWithProgress(label: string, file: string, args: string[], options: { cwd?: string; env?: Record<string, string> }, log: Log) {
  const started = Date.now();
  const timer = setInterval(() => log(`  … ${label}: still working (${Math.round((Date.now() - started) / 1000)}s)`), 20_000);
  try {
    const { execa } = await import("execa");
    const child = execa(file, args, { cwd: options.cwd, env: options.env, all: true, reject: false });
    child.all?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) log(`  ${label}: ${line}`);
    });
    const result = await child;
    return result;
  } finally {
    clearInterval(timer);
  }
}

async function works(bin: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { execa } = await import("execa");
    const r = await execa(bin, args, { reject: false, all: true, timeout: 30_000 });
    return { ok: r.exitCode === 0, output: (r.all ?? "").toString() };
  } catch (err) {
    return { ok: false, output: String(err) };
  }
}

export interface InstallOptions {
  /** Where tools are installed (default .tools/ in the repository). */
  toolsDir?: string;
}

/** What a built binary was built from: its stamp must equal this for the binary to be reused. */
function buildIdentity(pin: GoToolPin): string {
  let flags = pin.ldflags ? ` ldflags=${pin.ldflags}` : "";
  if (pin.source === "go") return `${pin.module}@${pin.version} ${pin.package}${flags}`;
  if (pin.tags?.length) flags += ` tags=${pin.tags.join(",")}`;
  const dir = resolve(ROOT, pin.dir);
  let hash: string;
  try {
    hash = hashFolder(dir);
  } catch (err) {
    throw new UserError(`tools.json: the Go module folder ${pin.dir} cannot be read (${(err as Error).message}); restore it from git.`);
  }
  // Relative to the repository, so that copies of it share the build.
  return `${displayPath(dir)}#${hash.slice(0, 16)} ${pin.package}${flags}`;
}

/** Path of a pinned Go tool, installing it with the Go toolchain when needed. */
export async function ensureGoTool(name: GoToolName, log: Log = stderrLog, options: InstallOptions = {}): Promise<string> {
  return ensureGoBuild(name, name, loadPins()[name], log, options);
}

/**
 * Builds one Go program under its own binary name: a pinned tool, or one variant of a go-local
 * tool (`dir` absolute or relative to the repository, e.g. a module generated per upstream version).
 * `name` selects the <NAME>_BIN override and names the lock.
 */
export async function ensureGoBuild(
  name: ToolName,
  binName: string,
  pin: GoToolPin,
  log: Log = stderrLog,
  { toolsDir = TOOLS_DIR }: InstallOptions = {},
): Promise<string> {
  const envName = overrideVariable(name);
  // An override stands for the tool itself, never for one of its per-version variants.
  const override = binName === name ? process.env[envName] : undefined;
  if (override) {
    const check = await works(override, pin.versionArgs);
    if (check.ok) return override;
    log(`warning: ${envName}=${override} does not run (${check.output.split("\n")[0]}); using the pinned ${name} ${pin.version} instead`);
  }
  const bin = join(toolsDir, "bin", binName);
  const stamp = bin + ".pin";
  const want = buildIdentity(pin);
  const current = () => existsSync(bin) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === want;
  if (current()) return bin;
  return withLock(toolsDir, binName, log, async () => {
    if (current()) return bin;
    if (!(await works("go", ["version"])).ok) {
      throw new UserError(
        `${name} ${pin.version} is not installed and Go is not available to install it.\n` +
          `Install Go 1.25 or newer (https://go.dev/doc/install, or your package manager), or point ${envName} to a ${name} binary.`,
      );
    }
    log(`installing ${name} ${pin.version} with go (first run only; this can take a few minutes)…`);
    const env: Record<string, string> = { GOFLAGS: "-mod=readonly" };
    let dir: string;
    if (pin.source === "go") {
      const dl = await goModDownload(pin.module, pin.version, { env });
      if (!dl.ok) {
        throw new UserError(
          `cannot download ${pin.module}@${pin.version} from the Go module proxy:\n${dl.message}\n` +
            `Check GOPROXY and the network, or point ${envName} to a ${name} binary.`,
        );
      }
      dir = dl.dir;
    } else {
      dir = resolve(ROOT, pin.dir);
    }
    mkdirSync(join(toolsDir, "bin"), { recursive: true });
    const tmp = `${bin}.${process.pid}.tmp`;
    const tags = pin.source === "go-local" && pin.tags?.length ? ["-tags", pin.tags.join(",")] : [];
    const args = ["build", "-o", tmp, ...tags, ...(pin.ldflags ? ["-ldflags", pin.ldflags] : []), pin.package];
    const built = await runWithProgress(name, "go", args, { cwd: dir, env }, log);
    if (built.exitCode !== 0) {
      rmSync(tmp, { force: true });
      const from = pin.source === "go" ? `${pin.module}@${pin.version}` : displayPath(dir);
      throw new UserError(`building ${name} ${pin.version} failed (go build ${pin.package} in ${from}); see the output above.`);
    }
    const check = await works(tmp, pin.versionArgs);
    if (!check.ok) {
      rmSync(tmp, { force: true });
      throw new UserError(`${name} ${pin.version} was built but does not run: ${check.output}`);
    }
    renameSync(tmp, bin);
    writeFileSync(stamp, want + "\n");
    log(`installed ${name} ${pin.version} into ${displayPath(bin)}`);
    return bin;
  });
}

/** The minimum Go the pinned Go tools build with. */
const GO_MIN = "1.25.0";

/**
 * What the toolchain needs from the system and cannot install itself (Go, Python with pip, git),
 * checked before anything long starts: one line per missing program with the command that
 * installs it. Empty when everything is there.
 */
export async function systemProblems(): Promise<string[]> {
  const semver = (await import("semver")).default;
  const problems: string[] = [];
  const go = await works("go", ["env", "GOVERSION"]);
  const goVersion = semver.coerce(go.output.trim().replace(/^go/, ""))?.version;
  if (!go.ok)
    problems.push("Go is not installed: install Go " + GO_MIN.replace(/\.0$/, "") + " or newer (https://go.dev/doc/install), or put its bin folder on PATH.");
  else if (!goVersion || semver.lt(goVersion, GO_MIN))
    problems.push(`Go ${go.output.trim()} is too old: the pinned tools need Go ${GO_MIN.replace(/\.0$/, "")} or newer (https://go.dev/doc/install).`);
  const python = process.env.PYTHON || "python3";
  const pip = await works(python, ["-m", "pip", "--version"]);
  if (!pip.ok)
    problems.push(
      `${python} with pip is not available: install Python 3.10+ with pip (Debian/Ubuntu: apt-get install python3 python3-pip), or set PYTHON to one.`,
    );
  if (!(await works("git", ["--version"])).ok) problems.push("git is not installed: install it (Debian/Ubuntu: apt-get install git).");
  return problems;
}

/** How KCL is run: a kcl CLI, or the pinned native library through a Python worker. */
export type KclRuntime = { kind: "cli"; bin: string; version: string } | { kind: "pylib"; python: string; libDir: string; version: string };

function parseKclVersion(output: string): string | undefined {
  const m = /(\d+\.\d+\.\d+)/.exec(output);
  return m?.[1];
}

async function kclCli(bin: string, range: string): Promise<{ ok: true; version: string } | { ok: false; why: string }> {
  const r = await works(bin, ["--version"]);
  if (!r.ok) return { ok: false, why: r.output.split("\n")[0] ?? "" };
  const semver = (await import("semver")).default;
  const version = parseKclVersion(r.output);
  if (!version || !semver.satisfies(version, range)) return { ok: false, why: `version ${version ?? "unknown"} is outside ${range}` };
  return { ok: true, version };
}

/** The executable a command name resolves to on PATH (or the path itself), if any. */
function findOnPath(cmd: string): string | undefined {
  if (cmd.includes("/")) return existsSync(cmd) ? cmd : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir || ".", cmd);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * Python's major.minor version. Asking Python costs a process start on every command, so the
 * answer is remembered per interpreter file (its real path, size and modification time).
 */
async function pythonVersion(python: string, cacheDir: string): Promise<{ ok: boolean; version: string }> {
  const exe = findOnPath(python);
  if (!exe) return { ok: false, version: "" };
  const real = realpathSync(exe);
  const st = statSync(real);
  // pyenv-style shims pick the interpreter from PYENV_VERSION: part of the key.
  const key = `${real} ${st.size} ${st.mtimeMs} ${process.env.PYENV_VERSION ?? ""}`;
  const memo = join(cacheDir, "interpreters.json");
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(readFileSync(memo, "utf8")) as Record<string, string>;
  } catch {
    /* first run */
  }
  if (known[key]) return { ok: true, version: known[key] };
  const r = await works(exe, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
  const version = r.output.trim();
  if (r.ok && /^\d+\.\d+$/.test(version)) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileAtomic(memo, JSON.stringify({ ...known, [key]: version }, null, 2) + "\n");
  }
  return { ok: r.ok, version };
}

/** Finds or installs the KCL engine runtime. */
export async function ensureKcl(log: Log = stderrLog, { toolsDir = TOOLS_DIR }: InstallOptions = {}): Promise<KclRuntime> {
  const pin = loadPins().kcl;
  const override = process.env.KCL_BIN;
  if (override) {
    const cli = await kclCli(override, pin.cliVersions);
    if (cli.ok) return { kind: "cli", bin: override, version: cli.version };
    log(`warning: KCL_BIN=${override} is not usable (${cli.why}); using the pinned KCL library ${pin.version} instead`);
  } else if (findOnPath("kcl")) {
    const cli = await kclCli("kcl", pin.cliVersions);
    if (cli.ok) return { kind: "cli", bin: "kcl", version: cli.version };
  }
  const python = process.env.PYTHON || "python3";
  const py = await pythonVersion(python, join(toolsDir, "python"));
  const pyVersion = py.version;
  if (!py.ok || !/^3\.(1\d|[2-9]\d)$/.test(pyVersion)) {
    throw new UserError(
      "KCL is not available and cannot be installed.\n" +
        `The pipeline runs KCL through the kcl-lib ${pin.version} native library, which needs Python 3.10+ with pip ` +
        `(${python} ${py.ok ? `is ${pyVersion}` : "was not found"}).\n` +
        "Install one of:\n" +
        "  - Python 3.10 or newer with pip (Debian/Ubuntu: apt-get install python3 python3-pip), or set PYTHON to one;\n" +
        `  - the kcl CLI (${pin.cliVersions}, https://kcl-lang.io/docs/user_docs/getting-started/install) on PATH, or set KCL_BIN to it.`,
    );
  }
  const libDir = join(toolsDir, "python", `${pin.package}-${pin.version}-py${pyVersion}`);
  const stamp = join(libDir, ".installed");
  if (existsSync(stamp)) return { kind: "pylib", python, libDir, version: pin.version };
  return withLock(toolsDir, "kcl", log, async () => {
    if (existsSync(stamp)) return { kind: "pylib", python, libDir, version: pin.version };
    log(`installing KCL (${pin.package} ${pin.version} from PyPI) into ${displayPath(libDir)} (first run only)…`);
    const tmp = `${libDir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    const r = await runWithProgress(
      "pip",
      python,
      [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-input",
        "--disable-pip-version-check",
        "--no-warn-script-location",
        "--target",
        tmp,
        `${pin.package}==${pin.version}`,
      ],
      { env: { PIP_ROOT_USER_ACTION: "ignore" } },
      log,
    );
    if (r.exitCode !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new UserError(
        `installing ${pin.package} ${pin.version} with pip failed (see above). Check access to PyPI, or set KCL_BIN to a kcl CLI ${pin.cliVersions}.`,
      );
    }
    const check = await works(python, ["-c", `import sys; sys.path.insert(0, ${JSON.stringify(tmp)}); import kcl_lib.api`]);
    if (!check.ok) {
      rmSync(tmp, { recursive: true, force: true });
      throw new UserError(`${pin.package} ${pin.version} was installed but does not load: ${check.output}`);
    }
    rmSync(libDir, { recursive: true, force: true });
    renameSync(tmp, libDir);
    writeFileSync(stamp, `${pin.package}==${pin.version}\n`);
    log(`installed KCL ${pin.version}`);
    return { kind: "pylib", python, libDir, version: pin.version };
  });
}
