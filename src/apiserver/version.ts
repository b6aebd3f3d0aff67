/** The Kubernetes versions a sandbox can present, and `/version` for each. */

interface Release {
  patch: number;
  goVersion: string;
  gitCommit: string;
  buildDate: string;
}

const releases: Record<string, Release> = {
  "1.27": { patch: 16, goVersion: "go1.22.5", gitCommit: "cbb86e0d7f4a049666fac0551e8b02ef3d6c3d9a", buildDate: "2024-07-17T01:44:26Z" },
  "1.28": { patch: 15, goVersion: "go1.22.8", gitCommit: "841856557ef0f6a399096c42635d114d6f2cf7f4", buildDate: "2024-10-22T20:28:23Z" },
  "1.29": { patch: 14, goVersion: "go1.23.6", gitCommit: "8b0c4a4ec3e5ee2fbb2f2e0e59f1a8e3f0df4e55", buildDate: "2025-02-12T21:27:00Z" },
  "1.30": { patch: 13, goVersion: "go1.23.8", gitCommit: "50af91c466658b6a33d123fae8a487db1630971c", buildDate: "2025-05-15T09:40:33Z" },
  "1.31": { patch: 9, goVersion: "go1.23.8", gitCommit: "b9e0c3a1d3e2e6c45f4e5d9a2c7bcb6a0e0c0f5c", buildDate: "2025-05-15T09:37:41Z" },
  "1.32": { patch: 5, goVersion: "go1.23.8", gitCommit: "9894294ef13a5b32803e3ca2c0d620a088cc84d1", buildDate: "2025-05-15T09:40:50Z" },
  "1.33": { patch: 1, goVersion: "go1.24.2", gitCommit: "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828", buildDate: "2025-05-15T08:19:08Z" },
};

export const supportedVersions = Object.keys(releases);
export const defaultVersion = "1.32";

export function gitVersion(minorVersion: string): string {
  const r = releases[minorVersion] ?? releases[defaultVersion];
  return `v${releases[minorVersion] ? minorVersion : defaultVersion}.${r.patch}`;
}

export function versionInfo(minorVersion: string) {
  const version = releases[minorVersion] ? minorVersion : defaultVersion;
  const r = releases[version];
  const [major, minor] = version.split(".");
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    gitVersion: `v${version}.${r.patch}`,
    gitCommit: r.gitCommit,
    gitTreeState: "clean",
    buildDate: r.buildDate,
    goVersion: r.goVersion,
    compiler: "gc",
    platform: "linux/amd64",
  };
}
