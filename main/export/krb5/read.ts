/** A krb5.conf and its includes → what the bench understood, what it did not use, and the setup. */
import type { ImportSourceText, ImportReading } from '../types';
import { readKrb5Files } from './includes';
import { krb5Settings, type Krb5Settings } from './settings';

/** The realm blocks travel in setup.realms (the export writes them back from there). */
export function readKrb5Conf(source: ImportSourceText): ImportReading {
  const files = readKrb5Files(source);
  const settings: Krb5Settings = krb5Settings(files, source.onDisk ? source.file : undefined);
  const problems = settings.problems.sort((a, b) => (a.file === b.file ? a.line - b.line : 0));
  return {
    files: files.fragments.map((f) => f.file).filter((f, i, all) => all.indexOf(f) === i),
    understood: settings.understood,
    unused: settings.unused,
    problems,
    setup: settings.setup,
  };
}

/** "a [libdefaults] section" / "a [realms] section", or null: what makes a file a krb5.conf. */
export function detectKrb5Conf(text: string): string | null {
  if (/^\s*\[libdefaults\]/m.test(text)) return 'a [libdefaults] section';
  if (/^\s*\[realms\]/m.test(text)) return 'a [realms] section';
  if (/^includedir?\s+\S/m.test(text) && !/^\s*(apiVersion|xpack|<)/m.test(text)) return 'include directives (an MIT profile)';
  return null;
}
