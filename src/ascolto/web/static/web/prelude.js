// Loaded before Bootstrap Italia's bundle: its video player (video.js, unused here) would add
// its default styles in a <style> element, which the Content-Security-Policy refuses; the
// player's own switch turns that off (docs/security/web.md).
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
