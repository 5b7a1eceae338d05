import type {
  Exchange,
  ExportFrom,
  ExportOptions,
  ExportRequest,
  ExportResult,
  ExportSaveResult,
  ExportTargetId,
  ExportTargetInfo,
  FileSource,
  ImportFormat,
  ImportResult,
  ImportTestResult,
  LabStatus,
} from '@api/index';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { BenchClient } from '../api/client';
import { useBusy } from '../composables/busy';
import { useWorkspaceStore } from './workspace';

export type ExportTab = 'export' | 'import';
export type SourceKind = 'lab' | 'profile' | 'exchange';
/** The option groups of the form; each target shows the ones it reads. */
export type OptionGroup = 'host' | 'mqttUrl' | 'hazelcast' | 'elasticsearch' | 'azure' | 'browser';

export const TARGET_OPTIONS: Record<ExportTargetId, OptionGroup[]> = {
  emqx: ['host', 'mqttUrl'],
  krb5: ['host'],
  elasticsearch: ['host', 'elasticsearch'],
  'hazelcast-xml': ['hazelcast'],
  'hazelcast-yaml': ['hazelcast'],
  azure: ['host', 'azure'],
  mqttjs: ['host', 'mqttUrl'],
  java: ['host'],
  browser: ['host', 'browser'],
};

export const IMPORT_FORMATS: { id: ImportFormat; label: string }[] = [
  { id: 'krb5', label: 'krb5.conf' },
  { id: 'emqx', label: 'EMQX authentication (HOCON)' },
  { id: 'elasticsearch', label: 'elasticsearch.yml' },
  { id: 'hazelcast', label: 'Hazelcast security (XML or YAML)' },
  { id: 'azure', label: 'Azure IoT MQ (YAML)' },
];

/** The Kerberos profile of the "A profile" source, as typed (empty fields are left out). */
export interface ProfileForm {
  profile: 'system' | 'custom';
  krb5Config: string;
  realm: string;
  servicePrincipal: string;
  serviceKeytab: string;
  clientPrincipal: string;
  clientKeytab: string;
  ccache: string;
}

/** Every target's options as the form holds them: lists as comma-separated text. */
export interface OptionsForm {
  host: string;
  mqttUrl: string;
  /** '': the default (simple), or the imported file's. */
  hazelcastForm: '' | 'simple' | 'full';
  /** '': the default (hz/ + the member address), or the imported file's. */
  hazelcastSpn: '' | 'prefix' | 'canonical' | 'static';
  hazelcastPrefix: string;
  hazelcastAddress: string;
  hazelcastStaticSpn: string;
  useNameWithoutRealm: boolean;
  esRealmName: string;
  esOrder: string;
  esRemoveRealmName: boolean;
  esNodes: string;
  esRoles: string;
  azureChainFile: string;
  azureNamespace: string;
  browserAllow: string;
  browserDelegate: string;
}

const emptyProfile = (): ProfileForm => ({ profile: 'system', krb5Config: '', realm: '', servicePrincipal: '', serviceKeytab: '', clientPrincipal: '', clientKeytab: '', ccache: '' });
const emptyOptions = (): OptionsForm => ({
  host: '',
  mqttUrl: '',
  hazelcastForm: '',
  hazelcastSpn: '',
  hazelcastPrefix: '',
  hazelcastAddress: '',
  hazelcastStaticSpn: '',
  useNameWithoutRealm: false,
  esRealmName: '',
  esOrder: '',
  esRemoveRealmName: false,
  esNodes: '',
  esRoles: '',
  azureChainFile: '',
  azureNamespace: '',
  browserAllow: '',
  browserDelegate: '',
});

/** Bytes picked in the browser are kept across a reload only up to this size (config files are small). */
const MAX_KEPT_BASE64 = 256 * 1024;

/** "a, b c" → ["a", "b", "c"]; undefined when empty. */
function list(text: string): string[] | undefined {
  const items = text.split(/[\s,]+/).filter(Boolean);
  return items.length ? items : undefined;
}
/** The object without its undefined and empty-string fields; undefined when nothing is left. */
function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && v !== '');
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}
const text = (value: string) => value.trim() || undefined;

function hazelcastOptions(o: OptionsForm): ExportOptions {
  const spn: ExportOptions['hazelcastSpn'] =
    o.hazelcastSpn === 'static'
      ? { kind: 'static', spn: o.hazelcastStaticSpn.trim() }
      : o.hazelcastSpn === 'canonical'
        ? { kind: 'canonical', ...compact({ prefix: text(o.hazelcastPrefix) }) }
        : o.hazelcastSpn === 'prefix'
          ? { kind: 'prefix', ...compact({ prefix: text(o.hazelcastPrefix), address: text(o.hazelcastAddress) }) }
          : undefined;
  // Unset choices are left out, so an imported file's settings (or the target's defaults) apply.
  return compact({ hazelcastForm: o.hazelcastForm || undefined, hazelcastSpn: spn, useNameWithoutRealm: o.useNameWithoutRealm || undefined }) ?? {};
}

/** The options the target reads, from the form. */
function optionsFor(target: ExportTargetId, o: OptionsForm): ExportOptions | undefined {
  const groups = TARGET_OPTIONS[target];
  // v-model on a number input gives a number (or '' when empty), whatever the field's declared type.
  const order = String(o.esOrder).trim() === '' ? undefined : Number(o.esOrder);
  const parts: ExportOptions = {
    ...(groups.includes('host') ? compact({ host: text(o.host) }) : {}),
    ...(groups.includes('mqttUrl') ? compact({ mqttUrl: text(o.mqttUrl) }) : {}),
    ...(groups.includes('hazelcast') ? hazelcastOptions(o) : {}),
    ...(groups.includes('elasticsearch')
      ? compact({ elasticsearch: compact({ realmName: text(o.esRealmName), order, removeRealmName: o.esRemoveRealmName || undefined, nodes: list(o.esNodes), roles: list(o.esRoles) }) })
      : {}),
    ...(groups.includes('azure') ? compact({ azure: compact({ chainFile: text(o.azureChainFile), namespace: text(o.azureNamespace) }) }) : {}),
    ...(groups.includes('browser') ? compact({ browser: compact({ allow: list(o.browserAllow), delegate: list(o.browserDelegate) }) }) : {}),
  };
  return compact(parts);
}

/** Where the realm comes from: the lab, or a profile (an Exchange brings its own, on the lab's defaults). */
function fromFor(kind: SourceKind, p: ProfileForm): ExportFrom | undefined {
  if (kind !== 'profile') return kind === 'lab' ? { kind: 'lab' } : undefined;
  const fields = compact({
    krb5Config: p.profile === 'custom' ? text(p.krb5Config) : undefined,
    realm: text(p.realm),
    servicePrincipal: text(p.servicePrincipal),
    serviceKeytab: text(p.serviceKeytab),
    clientPrincipal: text(p.clientPrincipal),
    clientKeytab: text(p.clientKeytab),
    ccache: text(p.ccache),
  });
  return { kind: 'profile', profile: p.profile, ...fields };
}

/** The export target that writes what an imported format reads. */
function targetForImport(format: ImportFormat, file: string): ExportTargetId {
  if (format === 'hazelcast') return /\.ya?ml$/i.test(file) ? 'hazelcast-yaml' : 'hazelcast-xml';
  return format;
}

/**
 * The Export view: the targets, the form (target, source, options; "reveal secrets" is never kept
 * and starts off), the last export with the file shown, its save; and the Import tab: the file read,
 * what was understood, the "Test my config" run. Forms, tabs and the last results (unless they
 * hold revealed secrets) survive a reload; the engine keeps a generated export for an hour.
 */
export const useExportStore = defineStore('export', () => {
  const tab = ref<ExportTab>('export');
  const targets = shallowRef<ExportTargetInfo[]>([]);
  const target = ref<ExportTargetId | null>(null);
  const source = ref<SourceKind>('lab');
  const profile = ref<ProfileForm>(emptyProfile());
  const exchangeId = ref('');
  const exchangeFile = ref('');
  const options = ref<OptionsForm>(emptyOptions());
  /** A file read on the Import tab whose settings win ("Export from this"). */
  const imported = ref<{ file: string; as?: ImportFormat } | null>(null);
  const reveal = ref(false);
  const result = shallowRef<ExportResult | null>(null);
  const selectedFile = ref<string | null>(null);
  const saveDir = ref('');
  const saved = shallowRef<ExportSaveResult | null>(null);
  /** The save was refused because files exist (the engine names them); "Replace them" saves with force. */
  const conflict = shallowRef<{ message: string; files: string[] } | null>(null);
  const successes = shallowRef<Exchange[]>([]);
  const lab = shallowRef<LabStatus | null>(null);
  const exportBusy = useBusy<'targets' | 'generate' | 'save' | 'exchanges'>();

  const importSource = shallowRef<FileSource | null>(null);
  const importAs = ref<ImportFormat | ''>('');
  const against = ref<'lab' | 'own'>('lab');
  const reading = shallowRef<ImportResult | null>(null);
  const testResult = shallowRef<ImportTestResult | null>(null);
  const importBusy = useBusy<'read' | 'test'>();

  useWorkspaceStore().persist(
    'export',
    () => ({
      tab: tab.value,
      target: target.value,
      source: source.value,
      profile: { ...profile.value },
      exchangeId: exchangeId.value,
      exchangeFile: exchangeFile.value,
      options: { ...options.value },
      imported: imported.value ? { ...imported.value } : null,
      // An export with revealed secrets is not written into the workspace file.
      result: result.value && !result.value.revealed ? result.value : null,
      selectedFile: selectedFile.value,
      saveDir: saveDir.value,
      importSource: importSource.value && ('path' in importSource.value || importSource.value.base64.length <= MAX_KEPT_BASE64) ? importSource.value : null,
      importAs: importAs.value,
      against: against.value,
      reading: reading.value,
      // The flow's Exchange carries decoded tokens (large): History keeps it, the workspace does not.
      testResult: testResult.value ? { ...testResult.value, exchange: undefined } : null,
    }),
    (s) => {
      tab.value = s.tab === 'import' ? 'import' : 'export';
      target.value = s.target ?? null;
      source.value = s.source ?? 'lab';
      profile.value = { ...emptyProfile(), ...s.profile };
      exchangeId.value = s.exchangeId ?? '';
      exchangeFile.value = s.exchangeFile ?? '';
      options.value = { ...emptyOptions(), ...s.options };
      imported.value = s.imported ?? null;
      result.value = s.result ?? null;
      selectedFile.value = s.selectedFile ?? null;
      saveDir.value = s.saveDir ?? '';
      importSource.value = s.importSource ?? null;
      importAs.value = s.importAs ?? '';
      against.value = s.against === 'own' ? 'own' : 'lab';
      reading.value = s.reading ?? null;
      testResult.value = s.testResult ?? null;
    },
  );

  const targetInfo = computed(() => targets.value.find((t) => t.id === target.value) ?? null);
  const shownFile = computed(() => result.value?.files.find((f) => f.path === selectedFile.value) ?? result.value?.files[0] ?? null);
  /** Why Generate cannot run yet, in words; null when it can. */
  const blocked = computed(() => {
    if (!target.value) return 'Pick what to export.';
    if (source.value === 'exchange' && !exchangeId.value && !exchangeFile.value.trim()) return 'Pick a successful Exchange, or give the path of a saved one.';
    if (source.value === 'profile' && profile.value.profile === 'custom' && !profile.value.krb5Config.trim()) return 'Give the path of your krb5.conf.';
    return null;
  });
  const importName = computed(() => (importSource.value ? ('path' in importSource.value ? importSource.value.path : importSource.value.name) : null));

  async function load(bench: BenchClient): Promise<void> {
    void bench.api.lab.status().then(
      (status) => (lab.value = status),
      () => (lab.value = null),
    );
    await exportBusy.run('targets', async () => {
      targets.value = await bench.api.export.targets();
    });
  }

  /** The successful Exchanges of this session, for the "From an Exchange" picker. */
  async function loadExchanges(bench: BenchClient): Promise<void> {
    await exportBusy.run('exchanges', async () => {
      successes.value = await bench.api.history.list({ outcome: 'success' });
    });
  }

  function request(): ExportRequest | null {
    if (!target.value) return null;
    const from = fromFor(source.value, profile.value);
    const exchange = source.value !== 'exchange' ? undefined : exchangeId.value ? { id: exchangeId.value } : { file: exchangeFile.value.trim() };
    const opts = optionsFor(target.value, options.value);
    return { target: target.value, ...(from ? { from } : {}), ...(exchange ? { exchange } : {}), ...(imported.value ? { imported: { ...imported.value } } : {}), revealSecrets: reveal.value, ...(opts ? { options: opts } : {}) };
  }

  async function generate(bench: BenchClient): Promise<void> {
    const input = request();
    if (!input || blocked.value) return void (exportBusy.error.value = blocked.value);
    await exportBusy.run('generate', async () => {
      const next = await bench.api.export.generate(input);
      result.value = next;
      saved.value = null;
      conflict.value = null;
      if (!next.files.some((f) => f.path === selectedFile.value)) selectedFile.value = next.files.find((f) => !f.withheld)?.path ?? next.files[0]?.path ?? null;
    });
  }

  async function save(bench: BenchClient, force = false): Promise<void> {
    const id = result.value?.id;
    const dir = saveDir.value.trim();
    if (!id || !dir) return void (exportBusy.error.value = 'Give a directory on the engine machine to write the files into.');
    saved.value = null;
    conflict.value = null;
    await exportBusy.run('save', async () => {
      try {
        saved.value = await bench.api.export.save({ id, dir, ...(force ? { force: true } : {}) });
      } catch (e) {
        // Existing files are a question for the user, not a failure: "Replace them" saves with force.
        const details = (e as { details?: { reason?: string; files?: unknown } }).details;
        if (force || details?.reason !== 'exists') throw e;
        conflict.value = { message: (e as Error).message, files: Array.isArray(details.files) ? details.files.map(String) : [] };
      }
    });
  }

  /** Arrives from an Exchange ("Export config" on a successful Exchange, or ?exchange=ID). */
  function fromExchange(id: string): void {
    tab.value = 'export';
    source.value = 'exchange';
    exchangeId.value = id;
    exchangeFile.value = '';
  }

  async function read(bench: BenchClient, file: FileSource): Promise<void> {
    importSource.value = file;
    testResult.value = null;
    await importBusy.run('read', async () => {
      reading.value = null;
      reading.value = await bench.api.importer.read({ file, ...(importAs.value ? { as: importAs.value } : {}) });
    });
  }

  async function test(bench: BenchClient): Promise<void> {
    const file = importSource.value;
    if (!file) return void (importBusy.error.value = 'Pick or drop a configuration file first.');
    await importBusy.run('test', async () => {
      testResult.value = null;
      const answer = await bench.api.importer.test({ file, ...(importAs.value ? { as: importAs.value } : {}), against: against.value === 'own' ? { kind: 'own' } : { kind: 'lab' } });
      testResult.value = answer;
      reading.value = answer.import;
    });
  }

  /** "Export from this": the Export tab with the imported file's settings winning (files on disk only). */
  function exportFromImport(): void {
    const file = importSource.value;
    if (!file || !('path' in file) || !reading.value) return;
    imported.value = { file: file.path, as: reading.value.format };
    target.value = targetForImport(reading.value.format, file.path);
    tab.value = 'export';
  }

  return {
    tab,
    targets,
    target,
    source,
    profile,
    exchangeId,
    exchangeFile,
    options,
    imported,
    reveal,
    result,
    selectedFile,
    saveDir,
    saved,
    conflict,
    successes,
    lab,
    busy: exportBusy.busy,
    busySince: exportBusy.busySince,
    error: exportBusy.error,
    importSource,
    importAs,
    against,
    reading,
    testResult,
    importBusyState: importBusy.busy,
    importError: importBusy.error,
    targetInfo,
    shownFile,
    blocked,
    importName,
    load,
    loadExchanges,
    generate,
    save,
    fromExchange,
    read,
    test,
    exportFromImport,
  };
});
