import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aliasOf, extractPins, replacePinValue, WRITABLE_VERSION, type Pin } from "../../scripts/lib/bump/kclfile.js";
import { ROOT } from "../../scripts/lib/paths.js";

const realApps = readFileSync(join(ROOT, "kcl", "apps.k"), "utf8");
const linesOf = (text: string) => text.split("\n");

function pin(text: string, variable: string): Pin {
  const p = extractPins(text).pins.find((x) => x.variable === variable);
  if (!p) throw new Error(`no pin _${variable}`);
  return p;
}

describe("the pins of the real kcl/apps.k", () => {
  const { pins, problems } = extractPins(realApps);

  it("reads every marker of the file, with no problems", () => {
    expect(problems).toEqual([]);
    const markerLines = linesOf(realApps)
      .map((l, i) => (l.startsWith("# renovate:") ? i + 1 : 0))
      .filter(Boolean);
    expect(markerLines.length).toBeGreaterThan(0);
    expect(pins.flatMap((p) => p.charts.map((c) => c.markerLine)).sort((a, b) => a - b)).toEqual(markerLines);
  });

  it("locates each value exactly where the declaration line has it", () => {
    for (const p of pins) {
      const line = linesOf(realApps)[p.line - 1]!;
      expect(line.startsWith(`_${p.variable}`)).toBe(true);
      expect(realApps.slice(p.valueStart, p.valueEnd)).toBe(p.value);
      expect(line).toContain(`"${p.value}"`);
    }
  });

  it("gives _aiGateway both AI Gateway charts, Envoy Gateway its OCI chart, and _openfunction no registry", () => {
    const ai = pins.find((p) => p.variable === "aiGateway")!;
    expect(ai.charts.map((c) => c.chart)).toEqual(["ai-gateway-helm", "ai-gateway-crds-helm"]);
    expect(ai.charts.map((c) => c.source)).toEqual(["oci://docker.io/envoyproxy/ai-gateway-helm", "oci://docker.io/envoyproxy/ai-gateway-crds-helm"]);
    expect(pins.find((p) => p.variable === "envoyGateway")!.charts[0]!.source).toBe("oci://docker.io/envoyproxy/gateway-helm");
    const of = pins.find((p) => p.variable === "openfunction")!;
    expect(of.kind).toBe("tarball");
    expect(of.charts).toEqual([]);
    expect(aliasOf("aiGateway")).toBe("ai-gateway");
  });

  it("every chart pin holds a writable version", () => {
    for (const p of pins.filter((x) => x.kind === "chart")) {
      expect(p.problem).toBeUndefined();
      expect(WRITABLE_VERSION.test(p.value)).toBe(true);
    }
  });
});

describe("splicing a version literal", () => {
  it("changes only the literal's bytes, for every chart pin", () => {
    for (const p of extractPins(realApps).pins.filter((x) => x.kind === "chart")) {
      const next = replacePinValue(realApps, p, "12.34.56-rc.1+build.7");
      const lines = linesOf(realApps);
      const expected = [...lines];
      expected[p.line - 1] = lines[p.line - 1]!.replace(`"${p.value}"`, `"12.34.56-rc.1+build.7"`);
      expect(next).toBe(expected.join("\n"));
    }
  });

  it("keeps CRLF line endings and everything else of a CRLF file", () => {
    const crlf = realApps.replace(/\n/g, "\r\n");
    const p = pin(crlf, "envoyGateway");
    const next = replacePinValue(crlf, p, "v1.8.3");
    expect(next.slice(0, p.valueStart)).toBe(crlf.slice(0, p.valueStart));
    expect(next.slice(p.valueStart + "v1.8.3".length)).toBe(crlf.slice(p.valueEnd));
    expect(next.split("\r\n").length).toBe(crlf.split("\r\n").length);
  });

  it("refuses anything but a plain version", () => {
    const p = pin(realApps, "keda");
    for (const bad of ['2.20.0"\n_evil = "x', "2.20.0 ", "${x}", "latest", "2.20", "v2.20.0\\", "2.20.0-", "'2.20.0'", "02.1.0"]) {
      expect(WRITABLE_VERSION.test(bad)).toBe(false);
      expect(() => replacePinValue(realApps, p, bad)).toThrow(/not a plain version/);
    }
  });

  it("notices when the text no longer holds the pin where it was read", () => {
    const p = pin(realApps, "keda");
    expect(() => replacePinValue("# moved\n" + realApps, p, "2.20.0")).toThrow(/no longer at line/);
  });
});

describe("markers bump cannot use", () => {
  const header = (body: string) => `# apps\n${body}\n`;

  it("a version variable without a marker is reported on that pin", () => {
    const text = realApps.replace(/^# renovate: datasource=helm depName=keda registryUrl=\S+\n/m, "");
    expect(text).not.toBe(realApps);
    const p = pin(text, "keda");
    expect(p.kind).toBe("unmarked");
    expect(p.problem).toMatch(/no marker above it; add one of/);
    expect(extractPins(text).problems).toEqual([]);
  });

  const cases: [string, string, RegExp][] = [
    ["helm without registryUrl", '# renovate: datasource=helm depName=keda\n_keda = "2.19.0"', /needs registryUrl/],
    ["unknown datasource", '# renovate: datasource=npm depName=keda\n_keda = "2.19.0"', /datasource=npm is not supported/],
    [
      "docker with registryUrl",
      '# renovate: datasource=docker depName=docker.io/envoyproxy/gateway-helm registryUrl=https://x\n_eg = "v1.7.0"',
      /names the registry in depName/,
    ],
    ["docker without a path", '# renovate: datasource=docker depName=gateway-helm\n_eg = "v1.7.0"', /not an OCI repository/],
    [
      "a blank line below the marker",
      '# renovate: datasource=helm depName=keda registryUrl=https://kedacore.github.io/charts\n\n_keda = "2.19.0"',
      /not directly above .*blank line/,
    ],
    [
      "code below the marker",
      "# renovate: datasource=helm depName=keda registryUrl=https://kedacore.github.io/charts\n_keda = someVariable",
      /not directly above/,
    ],
    [
      "an indented marker",
      '  # renovate: datasource=helm depName=keda registryUrl=https://kedacore.github.io/charts\n_keda = "2.19.0"',
      /beginning of the line/,
    ],
    [
      "an extra key",
      '# renovate: datasource=helm depName=keda versioning=semver registryUrl=https://kedacore.github.io/charts\n_keda = "2.19.0"',
      /cannot read the marker/,
    ],
    ["a marker at the end of the file", "# renovate: datasource=helm depName=keda registryUrl=https://kedacore.github.io/charts", /the file ends/],
    [
      "a pinned value that is not a version",
      '# renovate: datasource=helm depName=keda registryUrl=https://kedacore.github.io/charts\n_keda = "latest"',
      /"latest" is not a version/,
    ],
  ];
  for (const [name, body, message] of cases) {
    it(`reports ${name} with its line`, () => {
      const { pins, problems } = extractPins(header(body));
      const reported = [
        ...problems.map((p) => ({ line: p.line, message: p.message })),
        ...pins.filter((p) => p.problem).map((p) => ({ line: p.line, message: p.problem! })),
      ];
      expect(reported.length).toBeGreaterThan(0);
      expect(reported[0]!.message).toMatch(message);
      expect(reported[0]!.line).toBeGreaterThanOrEqual(2);
    });
  }

  it("the same chart pinned twice is a problem", () => {
    const m = "# renovate: datasource=helm depName=keda registryUrl=https://kedacore.github.io/charts\n";
    const { problems } = extractPins(`${m}_a = "1.0.0"\n${m}_b = "1.0.0"\n`);
    expect(problems.map((p) => p.message).join("\n")).toMatch(/pinned twice/);
  });
});

describe("renovate.json reads the same pins", () => {
  const config = JSON.parse(readFileSync(join(ROOT, "renovate.json"), "utf8")) as {
    customManagers: { managerFilePatterns: string[]; matchStrings: string[] }[];
  };
  const manager = config.customManagers[0]!;

  it("targets kcl/apps.k", () => {
    const patterns = manager.managerFilePatterns.map((p) => new RegExp(p.slice(1, -1)));
    expect(patterns.some((p) => p.test("kcl/apps.k"))).toBe(true);
  });

  it("extracts exactly the charts and values bump extracts", () => {
    const found = new Set<string>();
    for (const source of manager.matchStrings) {
      for (const m of realApps.matchAll(new RegExp(source, "g"))) {
        const g = m.groups!;
        found.add([g.datasource, g.depName, g.registryUrl ?? "", g.currentValue].join(" "));
      }
    }
    const ours = new Set(extractPins(realApps).pins.flatMap((p) => p.charts.map((c) => [c.datasource, c.depName, c.registryUrl ?? "", p.value].join(" "))));
    expect(found).toEqual(ours);
  });
});
