import { ref } from 'vue';

export type ThemeChoice = 'system' | 'light' | 'dark';
const STORAGE_KEY = 'kbench.theme';

function stored(): ThemeChoice {
  const value = localStorage.getItem(STORAGE_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** The user's choice; "system" follows prefers-color-scheme through CSS alone. */
export const themeChoice = ref<ThemeChoice>('system');

export function applyTheme(choice: ThemeChoice): void {
  themeChoice.value = choice;
  if (choice === 'system') {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(STORAGE_KEY);
  } else {
    document.documentElement.dataset.theme = choice;
    localStorage.setItem(STORAGE_KEY, choice);
  }
}

export function applyStoredTheme(): void {
  applyTheme(stored());
}

export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
}
