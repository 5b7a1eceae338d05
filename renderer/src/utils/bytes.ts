/**
 * Byte helpers for the inspect views: base64/hex conversion in the browser (no Buffer here),
 * reading a picked file, and downloading bytes as a file.
 */

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  // Chunked: String.fromCharCode(...bigArray) overflows the call stack past ~100 KiB.
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** base64 of a string's UTF-8 bytes (btoa alone takes Latin-1 only). */
export function utf8ToBase64(text: string): string {
  return bytesToBase64(new TextEncoder().encode(text));
}

/** Hex (any case, whitespace ignored) → bytes; an odd trailing digit is dropped. */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/[^0-9a-fA-F]/g, '');
  const bytes = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Reads a file the user picked and returns it as a FileSource of bytes. */
export async function readPickedFile(file: File): Promise<{ base64: string; name: string }> {
  return { base64: bytesToBase64(new Uint8Array(await file.arrayBuffer())), name: file.name };
}

/** Offers a Blob as a download (a temporary <a download>): no navigation, nothing inline. */
function offerDownload(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.className = 'visually-hidden';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Offers bytes as a download. */
export function downloadBytes(base64: string, fileName: string, type = 'application/octet-stream'): void {
  offerDownload(new Blob([base64ToBytes(base64).buffer as ArrayBuffer], { type }), fileName);
}

/** Offers text (JSON by default) as a download. */
export function downloadText(text: string, fileName: string, type = 'application/json'): void {
  offerDownload(new Blob([text], { type }), fileName);
}

/** "1 B", "932 B", "12.4 KiB", "1.0 MiB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A Unix file mode as ls and chmod write it: 0o600 → "0600". */
export function fileMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** The last path segment of a file name, for download names and short labels. */
export function baseName(name: string): string {
  return name.split(/[\\/]/).filter(Boolean).pop() ?? name;
}

export const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
export const hexOffset = (n: number, width = 8): string => n.toString(16).padStart(width, '0');
