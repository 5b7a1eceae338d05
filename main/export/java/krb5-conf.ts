/**
 * The krb5.conf a Java server (Hazelcast, any JAAS application) is started with
 * (-Djava.security.krb5.conf=…): the model's realm, KDCs and [libdefaults], written by the one
 * krb5.conf writer with the relations Java reads differently from MIT made to mean the same.
 */
import { krb5ConfText } from '../krb5/write';
import type { ExportModel } from '../types';

export function javaKrb5ConfText(model: ExportModel, forWhat: string): string {
  return krb5ConfText(model, { header: [`krb5.conf for ${forWhat} (realm ${model.realm}) — written by Kerberos Bench from ${model.basis}`], keytab: null, java: true });
}
