// Applies the remembered colour scheme before the app renders, so a dark page does not flash white.
(function () {
  try {
    var stored = window.localStorage.getItem('kosh-color-scheme');
    var scheme = stored === 'dark' || stored === 'light' ? stored : (window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
    document.documentElement.setAttribute('data-mantine-color-scheme', scheme);
  } catch {
    document.documentElement.setAttribute('data-mantine-color-scheme', 'light');
  }
})();
