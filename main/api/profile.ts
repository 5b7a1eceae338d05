/**
 * The `profile` service: a krb5.conf (or kdc.conf — MIT calls both "profiles") read as MIT reads
 * it, for the krb5.conf view and `kbench krb5conf show`. Every value carries the line it came
 * from, so a view can put the file text beside the parsed settings and link the two.
 */
import type { FileSource } from './inspect';

/** One `tag = value` relation and the 1-based line it is on. */
export interface Krb5ConfValue {
  tag: string;
  value: string;
  line: number;
  /** What MIT does with this setting, in a few words (known [libdefaults] and realm tags only). */
  meaning?: string;
}

/** A relation or a `tag = { … }` subsection, in file order. */
export type Krb5ConfNode = ({ kind: 'value' } & Krb5ConfValue) | { kind: 'section'; tag: string; line: number; children: Krb5ConfNode[] };

export interface Krb5ConfSection {
  /** "libdefaults", "realms" … as written between the brackets. */
  name: string;
  line: number;
  /** A section MIT 1.20 reads (krb5.conf or kdc.conf); false for one it ignores. */
  known: boolean;
  children: Krb5ConfNode[];
}

export interface Krb5ConfRealm {
  name: string;
  line: number;
  kdc: Krb5ConfValue[];
  adminServer: Krb5ConfValue[];
  kpasswdServer: Krb5ConfValue[];
  /** primary_kdc (master_kdc before MIT 1.19). */
  primaryKdc: Krb5ConfValue[];
  /** Every other relation of the realm's block. */
  other: Krb5ConfValue[];
}

export interface Krb5ConfProblem {
  line: number;
  /** error: MIT cannot read the line or will fail with this file; warning: it reads it but something is off; info: worth knowing. */
  severity: 'error' | 'warning' | 'info';
  message: string;
}

export interface Krb5ConfDocument {
  /** The path read, or the picked file's name. */
  name: string;
  /** The file text, for the numbered listing beside the parsed view. */
  text: string;
  lineCount: number;
  libdefaults: Krb5ConfValue[];
  realms: Krb5ConfRealm[];
  /** [domain_realm]: a host name (or ".domain") and the realm it maps to. */
  domainRealm: { domain: string; realm: string; line: number }[];
  /** include / includedir lines: MIT reads those files too (this view opens each on its own). */
  includes: { kind: 'include' | 'includedir'; path: string; line: number }[];
  /** Every section as a tree, in file order (also [logging], [capaths], [appdefaults] …). */
  sections: Krb5ConfSection[];
  /** Sorted by line. */
  problems: Krb5ConfProblem[];
}

export interface ProfileService {
  /** Parses a krb5.conf; a file that is not text fails, naming the file and the line. */
  read(source: FileSource): Promise<Krb5ConfDocument>;
}
