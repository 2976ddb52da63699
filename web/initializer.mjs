// Trunk's initializer for the page's module (index.html: data-initializer): while the
// module downloads, the header shows how much has arrived, so a slow network never shows
// a blank page. The bytes are counted after decompression, against the module's size,
// which Trunk writes into the page at build time. When the module runs, it draws its own
// header over this. The last count stays on <html data-module-bytes> (a browser test
// reads it).
export default function moduleProgress() {
  const mb = (bytes) => (bytes / 1048576).toFixed(1);
  return {
    onStart() {
      const device = document.getElementById('device');
      if (device) {
        device.innerHTML = 'loading the page\'s module… <progress id="module-progress" max="1" value="0"></progress> <span id="module-bytes"></span>';
      }
    },
    onProgress({ current, total }) {
      document.documentElement.dataset.moduleBytes = String(current);
      const bar = document.getElementById('module-progress');
      const said = document.getElementById('module-bytes');
      if (bar && total) {
        bar.max = total;
        bar.value = Math.min(current, total);
      }
      if (said) said.textContent = total ? `${mb(current)} of ${mb(total)} MB` : `${mb(current)} MB`;
    },
    onFailure(error) {
      const fatal = document.getElementById('fatal');
      if (fatal) fatal.textContent = `The page's module could not be loaded (${error}). Reload to try again.`;
    },
  };
}
