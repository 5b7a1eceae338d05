import { ref } from 'vue';

export type ThemeChoice = 'system' | 'light' | 'dark';
const STORAGE_KEY = 'kbench.theme';
const prefersDark = window.matchMedia('(prefers-color-scheme: dark)');

function stored(): ThemeChoice {
  const value = localStorage.getItem(STORAGE_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** The user's choice; "system" follows the OS setting, live. */
export const themeChoice = ref<ThemeChoice>('system');

function render(): void {
  const dark = themeChoice.value === 'dark' || (themeChoice.value === 'system' && prefersDark.matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export function applyTheme(choice: ThemeChoice): void {
  themeChoice.value = choice;
  if (choice === 'system') localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, choice);
  render();
}

export function applyStoredTheme(): void {
  prefersDark.addEventListener('change', render);
  applyTheme(stored());
}

export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
}
