/**
 * Hostile configuration files through every importer a user can point at one: krb5.conf (MIT
 * profile grammar), Azure IoT MQ chain YAML, Hazelcast XML and YAML, elasticsearch.yml (the
 * importer and the endpoint's own settings reader), the chain's TOML files, and EMQX HOCON (the
 * values com.typesafe.config reads, then a short pass through the reference parser itself).
 * Seeds are the fixtures the importers' unit tests read.
 *
 * The contract (main/export/types.ts Importer.read): never throw for a bad file; every problem,
 * unused and understood setting names a file the reading lists and a line inside it. TOML
 * throws ConfigFileError, whose message starts with "file:line:".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChainYaml } from '../../main/broker/chain/azure-yaml';
import { parsePasswordsToml } from '../../main/broker/chain/methods/username-password';
import { ConfigFileError, tomlLine } from '../../main/broker/chain/toml';
import { readEmqxEntries } from '../../main/export/emqx/read';
import { type HoconEntry, parseHoconWithJava } from '../../main/export/hocon';
import { IMPORTERS } from '../../main/export/import';
import type { ImportReading, ImportSourceText } from '../../main/export/types';
import { parseEsKerberosSettings } from '../../main/http/es/settings';
import { parseProfile } from '../../main/krb/profile';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedText } from './harness';

const read = (...parts: string[]) => readFileSync(path.resolve('test/fixtures', ...parts), 'utf8');
const dir = (...parts: string[]) => readdirSync(path.resolve('test/fixtures', ...parts)).map((f) => read(...parts, f));

const SEEDS = {
  krb5: [read('krb5conf/debian-sample.krb5.conf'), read('export/krb5/corp.conf')],
  azure: [read('export/azure/chain.yaml'), read('chain/full/chain.yaml')],
  hazelcast: [...dir('export/hazelcast')],
  elasticsearch: [...dir('export/elasticsearch').filter((t) => !t.includes('import ')), ...dir('http')],
  toml: [read('chain/full/credentials/passwords.toml'), read('export/azure/credentials/passwords.toml'), read('chain/full/x509-attributes/x509Attributes.toml')],
  emqx: [...dir('export/emqx')],
};

/** Lines in the text, as an editor counts them (a final newline opens one more). */
function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/** Every place a reading names must be a listed file and a line inside the text (1-based). */
function checkPlaces(reading: ImportReading, source: ImportSourceText): void {
  const places = [...reading.problems, ...reading.unused, ...reading.understood];
  const lines = lineCount(source.text);
  for (const place of places) {
    if (!reading.files.includes(place.file)) throw new Error(`names file ${place.file}, not among ${reading.files.join(', ')}: ${JSON.stringify(place)}`);
    if (!Number.isSafeInteger(place.line) || place.line < 1 || place.line > lines) throw new Error(`line ${place.line} outside the ${lines}-line file: ${JSON.stringify(place)}`);
  }
}

type TextFormat = 'krb5' | 'azure' | 'hazelcast' | 'elasticsearch';

/** A dropped file (no I/O) through every importer's detection, then this format's reading. */
async function readDropped(format: TextFormat, file: string, text: string): Promise<void> {
  const source = { file, text, onDisk: false };
  for (const importer of IMPORTERS) importer.detect(source);
  checkPlaces(await IMPORTERS.find((i) => i.format === format)!.read(source), source);
}

function importerTarget(format: TextFormat, file: string, seeds: string[]) {
  return { name: `import-${format}`, input: mutatedText(seeds, 8), run: (text: string) => readDropped(format, file, text), typed: [] };
}

describe('configuration importers', () => {
  it('krb5.conf: importer and profile parser', () =>
    fuzz({
      ...importerTarget('krb5', 'krb5.conf', SEEDS.krb5),
      run: async (text: string) => {
        parseProfile(text, 'krb5.conf');
        await readDropped('krb5', 'krb5.conf', text);
      },
    }, fuzzRuns(600)), fuzzTimeout());

  it('Azure IoT MQ chain YAML: importer and chain loader', () =>
    fuzz({
      ...importerTarget('azure', 'chain.yaml', SEEDS.azure),
      run: async (text: string) => {
        const parsed = parseChainYaml(text, 'chain.yaml');
        for (const p of parsed.problems) if (!Number.isSafeInteger(p.line) || p.line < 1 || p.line > lineCount(text)) throw new Error(`chain problem at line ${p.line}: ${JSON.stringify(p)}`);
        await readDropped('azure', 'chain.yaml', text);
      },
    }, fuzzRuns(200)), fuzzTimeout());

  it('Hazelcast XML and YAML', () => fuzz(importerTarget('hazelcast', 'hazelcast.xml', SEEDS.hazelcast), fuzzRuns(400)), fuzzTimeout());

  it('elasticsearch.yml: importer and the endpoint\'s settings reader', () =>
    fuzz({
      ...importerTarget('elasticsearch', 'elasticsearch.yml', SEEDS.elasticsearch),
      run: async (text: string) => {
        const settings = parseEsKerberosSettings(text, '/etc/elasticsearch/elasticsearch.yml');
        const problems = settings.ok ? settings.warnings : settings.problems;
        // "elasticsearch.yml:12", or the file alone for what has no line (a realm that is missing).
        for (const p of problems) {
          const line = /^elasticsearch\.yml(?::(\d+))?$/.exec(p.at);
          if (!line || (line[1] !== undefined && (Number(line[1]) < 1 || Number(line[1]) > lineCount(text)))) throw new Error(`settings problem at ${p.at}: ${JSON.stringify(p)}`);
        }
        await readDropped('elasticsearch', 'elasticsearch.yml', text);
      },
    }, fuzzRuns(400)), fuzzTimeout());

  it('chain TOML files (passwords.toml, x509Attributes.toml)', () =>
    fuzz({
      name: 'chain-toml',
      input: mutatedText(SEEDS.toml, 8),
      run: (text) => {
        tomlLine(text, ['client1', 'attributes', 'floor']);
        parsePasswordsToml(text, 'passwords.toml');
      },
      typed: [ConfigFileError],
      checkTyped: (error, text) => {
        const e = error as ConfigFileError;
        if (e.file !== 'passwords.toml' || !Number.isSafeInteger(e.line) || e.line < 1 || e.line > lineCount(text)) throw new Error(`ConfigFileError at ${e.file}:${e.line} in a ${lineCount(text)}-line file: ${e.message}`);
        if (!e.message.startsWith(`passwords.toml:${e.line}: `)) throw new Error(`message does not start with file:line: ${e.message}`);
      },
    }), fuzzTimeout());
});

/** Structural mutations of what com.typesafe.config read: paths, values, types and lines changed. */
function mutatedEntries(seeds: readonly HoconEntry[][]): fc.Arbitrary<HoconEntry[]> {
  const value = fc.oneof(
    fc.constantFrom('gssapi', 'kerberos', 'password_based', 'mqtt/localhost@BENCH.TEST', 'mqtt@localhost', '', '@', 'a/b/c@', '/etc/krb5.keytab', 'true'),
    fc.string({ maxLength: 20 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
  );
  const path = fc.constantFrom('authentication[0].mechanism', 'authentication[1].backend', 'authentication[0].principal', 'authentication[7].keytab_file', 'listeners.tcp.default.authentication[0].mechanism', 'authentication[0].enable', 'authentication[0].password', 'authentication', 'node.cookie', 'x.authentication[99999999999999999999].y');
  const edit = fc.tuple(fc.nat(), fc.constantFrom('value', 'path', 'line', 'type', 'drop', 'duplicate'), value, path, fc.integer({ min: -2, max: 40 }), fc.constantFrom('STRING', 'NUMBER', 'BOOLEAN', 'NULL', 'OBJECT', 'LIST'));
  return fc.tuple(fc.nat(), fc.array(edit, { maxLength: 8 })).map(([pick, edits]) => {
    const entries = seeds[pick % seeds.length]!.map((e) => ({ ...e }));
    for (const [at, kind, v, p, line, type] of edits) {
      if (entries.length === 0) entries.push({ path: p, value: v, type: 'STRING', line });
      const i = at % entries.length;
      const entry = entries[i]!;
      if (kind === 'value') entry.value = v;
      else if (kind === 'path') entry.path = p;
      else if (kind === 'line') entry.line = line;
      else if (kind === 'type') entry.type = type as HoconEntry['type'];
      else if (kind === 'drop') entries.splice(i, 1);
      else entries.push({ ...entry });
    }
    return entries;
  });
}

describe('EMQX HOCON import', () => {
  let seeds: HoconEntry[][];
  let workDir: string;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'kbench-fuzz-hocon-'));
    seeds = [];
    for (const [i, text] of SEEDS.emqx.entries()) {
      const file = path.join(workDir, `seed-${i}.conf`);
      await writeFile(file, text);
      const parsed = await parseHoconWithJava(file);
      if (parsed.ok) seeds.push(parsed.entries);
    }
  }, 60_000);
  afterAll(() => rm(workDir, { recursive: true, force: true }));

  it('reads mutated entries into settings, every place on a line of the file', () => {
    expect(seeds.length).toBeGreaterThan(2);
    return fuzz({
      name: 'import-emqx-entries',
      input: mutatedEntries(seeds),
      run: (entries) => {
        const reading = readEmqxEntries('emqx.conf', entries);
        const lines = Math.max(1, ...entries.map((e) => e.line));
        for (const place of [...reading.problems, ...reading.unused, ...reading.understood]) {
          if (place.file !== 'emqx.conf' || !Number.isSafeInteger(place.line) || place.line < 1 || place.line > lines) throw new Error(`a place outside the file (${lines} lines): ${JSON.stringify(place)}`);
        }
      },
      typed: [],
    });
  }, fuzzTimeout());

  // Each input starts a JVM (about a second): CI reads 2 mutated files, `npm run fuzz` at most 200.
  it('reads mutated files through com.typesafe.config', async () => {
    const importer = IMPORTERS.find((i) => i.format === 'emqx')!;
    let n = 0;
    await fuzz(
      {
        name: 'import-emqx-hocon',
        input: mutatedText(SEEDS.emqx, 6),
        run: async (text) => {
          const file = path.join(workDir, `input-${n++}.conf`);
          await writeFile(file, text);
          const source = { file, text, onDisk: true };
          checkPlaces(await importer.read(source), source);
          await rm(file);
        },
        typed: [],
        hangMs: 30_000,
      },
      Math.min(fuzzRuns(2), 200),
    );
  }, fuzzTimeout());
});
