import { nextTick } from 'vue';

/**
 * Scrolls what an action just added (a result, revealed keys, the bytes panel) into view once it
 * is rendered: results appear where the user looks. Smooth and only as far as needed by default.
 */
export async function showAdded(el: () => HTMLElement | null, options: ScrollIntoViewOptions = { block: 'nearest', behavior: 'smooth' }): Promise<void> {
  await nextTick();
  el()?.scrollIntoView(options);
}
