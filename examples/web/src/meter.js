// Microphone level meter: a WebAudio AnalyserNode on the local stream. The level is the RMS
// of the time-domain samples, mapped to 0..1 on a rough dB scale so speech moves the bar.

/**
 * Starts metering `stream`; calls `onLevel(level)` ~10 times a second with 0 <= level <= 1.
 * Returns a stop function that releases the audio graph.
 */
export function startMeter(stream, onLevel) {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return () => {};
  const ctx = new Ctx();
  // A context made outside a user gesture starts suspended; the call button was a gesture.
  ctx.resume().catch(() => {});
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let shown = 0;
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (let i = 0; i < samples.length; i += 1) sum += samples[i] * samples[i];
    const rms = Math.sqrt(sum / samples.length);
    // -60 dBFS (silence) .. 0 dBFS (full scale).
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const level = Math.min(1, Math.max(0, (db + 60) / 60));
    // Rise at once, fall slowly (peak hold), so short sounds stay readable.
    shown = Math.max(level, shown * 0.85);
    onLevel(shown < 0.01 ? 0 : shown);
  }, 100);
  return () => {
    clearInterval(timer);
    source.disconnect();
    ctx.close().catch(() => {});
    onLevel(0);
  };
}
