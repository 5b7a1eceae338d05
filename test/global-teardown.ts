/** Integration and e2e projects: after every file ran, the shared AD lab's DC is stopped (test/helpers/ad-lab.ts). */
import { stopSharedAdLab } from './helpers/ad-lab';

export default function setup(): () => Promise<void> {
  return () => stopSharedAdLab();
}
