#!/usr/bin/env python3
"""Stand-in for the kcl CLI (`kcl --version`, `kcl run FILES [-D k=v] [-S sel] [--format json|yaml]`),
built on the same native KCL library. The real kcl CLI cannot be installed on this machine; the
stand-in lets the tests exercise the pipeline's CLI engine: its arguments, temp files and error mapping.
"""
import os
import sys

sys.path.insert(0, os.environ["STANDIN_KCL_LIB"])
import kcl_lib.api as api  # noqa: E402

VERSION = "0.13.2"


def main(argv):
    if argv[:1] == ["--version"]:
        print(f"kcl version {VERSION}")
        return 0
    if argv[:1] != ["run"]:
        print("stand-in kcl: only --version and run are supported", file=sys.stderr)
        return 2
    files, options, selector, fmt = [], [], [], "yaml"
    rest = argv[1:]
    while rest:
        a = rest.pop(0)
        if a == "-D":
            name, _, value = rest.pop(0).partition("=")
            options.append(api.Argument(name=name, value=value))
        elif a == "-S":
            selector.append(rest.pop(0))
        elif a == "--format":
            fmt = rest.pop(0)
        else:
            files.append(a)
    try:
        result = api.API().exec_program(api.ExecProgramArgs(work_dir=os.getcwd(), k_filename_list=files, args=options, path_selector=selector))
    except Exception as err:
        print(str(err), file=sys.stderr)
        return 1
    if result.err_message:
        print(result.err_message, file=sys.stderr)
        return 1
    print(result.json_result if fmt == "json" else result.yaml_result)
    return 0


sys.exit(main(sys.argv[1:]))
