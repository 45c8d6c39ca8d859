// Saving a file the page made or the server sent: a temporary object URL clicked through a hidden link.

export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // the browser has started reading the URL by the time the click returns; give it a moment before freeing it
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
