import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { runTool } from '../system/exec';

/**
 * A self-signed certificate for localhost / 127.0.0.1 in `dir` (made once with openssl), so a TLS
 * listener works out of the box; clients trust it with the CA file = the certificate itself.
 */
export async function ensureSelfSignedCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = path.join(dir, 'broker-cert.pem');
  const keyFile = path.join(dir, 'broker-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const run = await runTool(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '825', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { timeoutMs: 30_000 },
  );
  if (!run.ok) throw new Error(`could not make a self-signed certificate with openssl (sudo apt-get install -y openssl): ${run.error ?? run.stderr.trim()}`);
  return { certFile, keyFile };
}
