import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { DEFAULT_STATE_DIR, down, envLines, status, up } from "./lib/cluster/index.js";

const USAGE = `usage: npm run cluster -- up [--foreground] [--no-package] | down | status | env  [--state DIR]

A local Kubernetes control plane from the pinned Go tools (no Docker): etcd, kube-apiserver and
Crossplane core on free 127.0.0.1 ports, with this package installed (XRD, Compositions, the
providers' CRDs), function-kcl (the stand-in) and function-auto-ready served over mTLS, and the
provider simulator marking managed resources ready. State, certificates, logs and the
kubeconfig live in .cache/cluster/ (or --state DIR).
  up            start it (or reuse the running one) and print \`export KUBECONFIG=…\`; it keeps
                running until \`down\`
  up --foreground   stay attached: Ctrl-C (or the end of this process, however it ends) stops it
  up --no-package   only etcd, kube-apiserver and Crossplane core
  down          stop everything it started (by PID, the API server before etcd) and remove the state
  status        what runs, on which ports
  env           the shell line that points kubectl at it`;

await main(async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    { foreground: { type: "boolean" }, "no-package": { type: "boolean" }, state: { type: "string" }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const stateDir = values.state ?? DEFAULT_STATE_DIR;
  const log = (line: string) => process.stderr.write(line + "\n");
  const [verb, ...extra] = positionals;
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(" ")}`);
  switch (verb) {
    case "up": {
      const cp = await up({ stateDir, tied: values.foreground === true, withPackage: values["no-package"] !== true, log });
      const s = cp.state;
      log(`control plane ${cp.reused ? "already running" : `ready in ${((s.readyMs ?? 0) / 1000).toFixed(1)} s`}: API server ${s.server}`);
      for (const m of cp.install?.missing ?? []) log(`  not served: ${m.apiVersion} ${m.kind}: ${m.reason}`);
      for (const m of cp.install?.derived ?? []) log(`  stand-in CRD: ${m.apiVersion} ${m.kind}: ${m.reason}`);
      process.stdout.write(envLines(s).join("\n") + "\n");
      if (values.foreground) {
        log("running in the foreground; Ctrl-C stops it");
        await new Promise(() => {});
      }
      return 0;
    }
    case "down": {
      const stopped = await down({ stateDir, log });
      log(stopped ? "control plane stopped" : `no control plane in ${stateDir}`);
      return 0;
    }
    case "status": {
      const r = await status({ stateDir });
      if (!r.state) {
        process.stdout.write(`no control plane in ${stateDir}\n`);
        return 1;
      }
      process.stdout.write(`${r.running ? "running" : r.state.phase}${r.state.error ? `: ${r.state.error}` : ""}\n`);
      if (r.state.server) process.stdout.write(`API server ${r.state.server}${r.apiserver ? ` (${r.apiserver})` : ""}\n`);
      for (const p of r.processes) process.stdout.write(`  ${p.name.padEnd(20)} pid ${String(p.pid).padEnd(8)} ${p.alive ? "running" : "gone"}\n`);
      process.stdout.write(
        `  ports: ${Object.entries(r.state.ports)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}\n`,
      );
      return r.running ? 0 : 1;
    }
    case "env": {
      const r = await status({ stateDir });
      if (!r.running || !r.state) throw new UsageError(`no control plane is running in ${stateDir}: start one with \`npm run cluster -- up\``);
      process.stdout.write(envLines(r.state).join("\n") + "\n");
      return 0;
    }
    default:
      throw new UsageError(`expected up, down, status or env${verb ? `, not ${verb}` : ""}`);
  }
});
