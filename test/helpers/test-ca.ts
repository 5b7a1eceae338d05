/**
 * Throwaway certificate authorities made with the real openssl, for HTTPS servers in tests: a CA,
 * and server certificates it signs for localhost / 127.0.0.1. The server's `cert` is leaf + CA,
 * as servers usually send it.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  name: string;
  certPem: string;
  keyFile: string;
  certFile: string;
}

export async function makeTestCa(dir: string, name: string): Promise<TestCa> {
  const keyFile = path.join(dir, `${name}-ca.key`);
  const certFile = path.join(dir, `${name}-ca.pem`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2',
    '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ], { timeout: 30_000 });
  return { name, certPem: await readFile(certFile, 'utf8'), keyFile, certFile };
}

/** A server certificate signed by `ca`; `cert` is the chain leaf + CA. */
export async function issueServerCert(ca: TestCa, dir: string, name: string, san = 'DNS:localhost,IP:127.0.0.1'): Promise<{ cert: string; key: string; leafPem: string }> {
  const keyFile = path.join(dir, `${name}.key`);
  const csrFile = path.join(dir, `${name}.csr`);
  const certFile = path.join(dir, `${name}.pem`);
  const extFile = path.join(dir, `${name}.ext`);
  await writeFile(extFile, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n`);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', `/CN=${name}`], { timeout: 30_000 });
  await run('openssl', ['x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', extFile], { timeout: 30_000 });
  const leafPem = await readFile(certFile, 'utf8');
  return { cert: leafPem + ca.certPem, key: await readFile(keyFile, 'utf8'), leafPem };
}
