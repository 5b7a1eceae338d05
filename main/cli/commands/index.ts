import type { Command } from '../command';
import { brokerCommand } from './broker';
import { callCommand } from './call';
import { captureCommand } from './capture';
import { chainCommand } from './chain';
import { ccacheCommand } from './ccache';
import { decodeCommand, explainKeyCommand } from './decode';
import { diagnoseCommand, scenarioCommand } from './diagnose';
import { doctorCommand } from './doctor';
import { exportCommand } from './export';
import { importCommand } from './import';
import { hashPasswordCommand } from './hash-password';
import { httpCommand } from './http';
import { keytabCommand } from './keytab';
import { krb5confCommand } from './krb5conf';
import { probeCommand } from './probe';
import { replayCommand } from './replay';
import { labCommand } from './lab';
import { saslCommand } from './sasl';
import { spnCommand } from './spn';
import { startCommand } from './start';
import { webCommand } from './web';

/** Every top-level `kbench` command, in the order `kbench --help` lists them. */
export const commands: Command[] = [doctorCommand, webCommand, startCommand, labCommand, brokerCommand, probeCommand, replayCommand, saslCommand, keytabCommand, ccacheCommand, krb5confCommand, decodeCommand, explainKeyCommand, diagnoseCommand, scenarioCommand, captureCommand, httpCommand, spnCommand, chainCommand, hashPasswordCommand, exportCommand, importCommand, callCommand];
