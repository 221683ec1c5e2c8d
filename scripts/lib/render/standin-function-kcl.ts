/**
 * A stand-in for function-kcl: a gRPC function server (Crossplane's FunctionRunnerService,
 * on a free loopback port, insecure for crossplane render or over mTLS for the local control plane's
 * Crossplane core) that answers RunFunction with our function-kcl
 * implementation over our KCL engine. The real function-kcl cannot be built here (its
 * kcl-lang.io Go modules are not served by the module proxy), so `--engine crossplane` runs
 * the real crossplane render and the real function-auto-ready against this stand-in.
 */
import * as grpc from "@grpc/grpc-js";
import type { KclEngine } from "../kcl/engine.js";
import { KclError } from "../kcl/engine.js";
import { fatalResponse, fromRequest, loadFunctionProto, toResponse, type PRequest, type PResponse } from "./crossplane/proto.js";
import { FunctionFatal, runFunctionKcl } from "./function-kcl.js";

/** The file name KCL errors report for an inline source, as function-kcl names it. */
export const STANDIN_SOURCE_NAME = "prog.k";

export interface StandinServer {
  /** host:port crank connects to. */
  readonly target: string;
  /** Requests answered so far. */
  readonly calls: number;
  close(): Promise<void>;
}

/** PEM files for mTLS: the server certificate (SAN IP:127.0.0.1) and the CA its clients' certificates must chain to. */
export interface StandinTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** Starts the stand-in for function-kcl on 127.0.0.1 (a free port). */
export async function startStandinFunctionKcl(engine: KclEngine, options: { workDir?: string; tls?: StandinTls } = {}): Promise<StandinServer> {
  const proto = await loadFunctionProto();
  const server = new grpc.Server();
  let calls = 0;
  server.addService(proto.service, {
    RunFunction(call: grpc.ServerUnaryCall<PRequest, PResponse>, callback: grpc.sendUnaryData<PResponse>) {
      calls++;
      const req = call.request;
      const tag = req.meta?.tag ?? "";
      let fnReq;
      try {
        fnReq = fromRequest(req);
      } catch (err) {
        callback(null, fatalResponse(req, `cannot get Function input from request: ${(err as Error).message}`));
        return;
      }
      runFunctionKcl(engine, fnReq, { sourceName: STANDIN_SOURCE_NAME, workDir: options.workDir }).then(
        (rsp) => callback(null, toResponse(rsp, tag)),
        (err: unknown) => {
          if (err instanceof KclError) callback(null, fatalResponse(req, `failed to run kcl function pipelines: ${err.message}`));
          else if (err instanceof FunctionFatal) callback(null, fatalResponse(req, err.message));
          else callback({ code: grpc.status.INTERNAL, details: `stand-in for function-kcl failed: ${(err as Error)?.stack ?? String(err)}` });
        },
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      options.tls
        ? grpc.ServerCredentials.createSsl(options.tls.ca, [{ cert_chain: options.tls.cert, private_key: options.tls.key }], true)
        : grpc.ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  let closed: Promise<void> | undefined;
  return {
    target: `127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closed;
    },
  };
}
