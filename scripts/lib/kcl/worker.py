"""Long-lived KCL worker: keeps the native KCL library loaded and evaluates programs.

Protocol: one JSON request per line on stdin, one JSON response per line on stdout.
  request:  {"id": n, "sources": [{"filename", "code"}], "options": {name: json-text}, "workDir": dir,
             "selector"?: name, "yaml"?: bool, "compileOnly"?: bool}
  response: {"id": n, "ok": true, "json": text} | {"id": n, "ok": false, "error": text}
The worker exits when stdin closes.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
try:
    import kcl_lib.api as api
except ImportError as err:
    sys.stderr.write(
        f"cannot load the KCL library from {sys.argv[1]} with Python {sys.version.split()[0]} ({err}); "
        f"if the Python interpreter changed, delete .tools/python/interpreters.json and run again\n"
    )
    sys.exit(3)

service = api.API()


def run(req):
    names, codes = [], []
    for src in req["sources"]:
        names.append(src["filename"])
        codes.append(src["code"])
    args = api.ExecProgramArgs(
        work_dir=req.get("workDir") or os.getcwd(),
        k_filename_list=names,
        k_code_list=codes,
        args=[api.Argument(name=k, value=v) for k, v in (req.get("options") or {}).items()],
        path_selector=[req["selector"]] if req.get("selector") else [],
        compile_only=bool(req.get("compileOnly")),
    )
    result = service.exec_program(args)
    if result.err_message:
        return {"ok": False, "error": result.err_message}
    resp = {"ok": True, "json": result.json_result}
    if req.get("yaml"):
        resp["yaml"] = result.yaml_result
    return resp


def main():
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            resp = run(req)
        except Exception as err:  # the library raises for parse and compile errors
            resp = {"ok": False, "error": str(err)}
        resp["id"] = req.get("id")
        out.write(json.dumps(resp) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
