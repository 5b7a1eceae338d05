/**
 * A drop zone for one file: `dragging` while files are over it (counted per element entered, so
 * passing over a child does not flicker it off), other drags (text, links) ignored, and the
 * first dropped file handed to `onFile`.
 */
import { ref } from 'vue';

export function useFileDrop(onFile: (file: File) => void | Promise<void>) {
  const dragging = ref(false);
  let depth = 0;
  const hasFiles = (event: DragEvent) => [...(event.dataTransfer?.types ?? [])].includes('Files');

  function onDragEnter(event: DragEvent): void {
    if (!hasFiles(event)) return;
    depth++;
    dragging.value = true;
  }
  function onDragLeave(): void {
    depth = Math.max(0, depth - 1);
    if (!depth) dragging.value = false;
  }
  function onDragOver(event: DragEvent): void {
    if (!hasFiles(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
  }
  async function onDrop(event: DragEvent): Promise<void> {
    depth = 0;
    dragging.value = false;
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    event.preventDefault();
    await onFile(file);
  }
  return { dragging, onDragEnter, onDragLeave, onDragOver, onDrop };
}
