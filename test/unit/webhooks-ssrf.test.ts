/**
 * The webhook URL guard: every hostile spelling of an internal address is refused (issue 6 asks
 * for at least 30), public https endpoints pass, and plain http only to loopback in local mode.
 */
import { describe, expect, it } from "vitest";
import { guardWebhookUrl } from "../../src/webhooks/ssrf";

const hostile = [
  "http://example.com/hook",
  "ftp://example.com/hook",
  "file:///etc/passwd",
  "gopher://example.com/",
  "https://user:pass@example.com/hook",
  "https://user@example.com/hook",
  "https://127.0.0.1/hook",
  "https://127.1/hook",
  "https://2130706433/hook",
  "https://0x7f000001/hook",
  "https://0177.0.0.1/hook",
  "https://0x7f.0.0.1/hook",
  "https://localhost/hook",
  "https://LOCALHOST./hook",
  "https://api.localhost/hook",
  "https://0.0.0.0/hook",
  "https://0/hook",
  "https://10.0.0.1/hook",
  "https://10.255.255.255/hook",
  "https://172.16.0.1/hook",
  "https://172.31.255.254/hook",
  "https://192.168.1.1/hook",
  "https://169.254.169.254/latest/meta-data/",
  "https://100.64.0.1/hook",
  "https://100.127.255.254/hook",
  "https://224.0.0.1/hook",
  "https://255.255.255.255/hook",
  "https://198.18.0.1/hook",
  "https://[::1]/hook",
  "https://[::]/hook",
  "https://[::ffff:127.0.0.1]/hook",
  "https://[::ffff:7f00:1]/hook",
  "https://[0:0:0:0:0:ffff:a9fe:a9fe]/hook",
  "https://[::ffff:10.0.0.1]/hook",
  "https://[fd00:ec2::254]/hook",
  "https://[fe80::1]/hook",
  "https://[fc00::1]/hook",
  "https://[64:ff9b::a9fe:a9fe]/hook",
  "https://[2002:7f00:1::]/hook",
  "https://[ff02::1]/hook",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://metadata/computeMetadata/v1/",
  "https://printer.local/hook",
  "https://intranet/hook",
  "https://%31%32%37.0.0.1/hook",
  "not a url",
];

const friendly = [
  "https://example.com/hook",
  "https://hooks.example.com:8443/sandkube?tenant=a",
  "https://8.8.8.8/hook",
  "https://1.1.1.1/hook",
  "https://172.32.0.1/hook",
  "https://100.128.0.1/hook",
  "https://[2606:4700:4700::1111]/hook",
  "https://EXAMPLE.com./hook",
  "https://sub.domain.example.org/a/b/c",
  "https://xn--bcher-kva.example/hook",
  "https://203.0.114.1/hook",
  "https://11.0.0.1/hook",
];

describe("webhook URL guard", () => {
  it("has a table of at least 30 hostile URLs", () => expect(hostile.length).toBeGreaterThanOrEqual(30));

  it.each(hostile)("refuses %s", (url) => {
    const result = guardWebhookUrl(url);
    expect(result.ok, url).toBe(false);
  });

  it.each(friendly)("accepts %s", (url) => {
    const result = guardWebhookUrl(url);
    expect(result, url).toMatchObject({ ok: true });
  });

  it("allows plain http to loopback only in local development", () => {
    expect(guardWebhookUrl("http://127.0.0.1:9999/hook", { allowLoopbackHttp: true }).ok).toBe(true);
    expect(guardWebhookUrl("http://localhost:9999/hook", { allowLoopbackHttp: true }).ok).toBe(true);
    expect(guardWebhookUrl("http://10.0.0.1/hook", { allowLoopbackHttp: true }).ok).toBe(false);
    expect(guardWebhookUrl("http://127.0.0.1:9999/hook").ok).toBe(false);
  });

  it("says why", () => {
    expect(guardWebhookUrl("https://169.254.169.254/")).toEqual({ ok: false, reason: "the address 169.254.169.254 is link-local (cloud metadata)" });
    expect(guardWebhookUrl("https://[::ffff:10.0.0.1]/")).toEqual({ ok: false, reason: "the address [::ffff:a00:1] is private" });
  });
});
