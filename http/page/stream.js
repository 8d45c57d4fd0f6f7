// The daemon's Server-Sent Events (api/v1/stream): status changes, sweep
// progress and event counts. Listeners subscribe by event name; live() says
// whether the stream is open, so a sweep's watcher polls often only when it
// is not (the fallback the API offers: GET api/v1/sweeps/{id}).

const listeners = { status: new Set(), sweep: new Set(), events: new Set() };
let source = null;

export function subscribe(name, callback) {
  listeners[name].add(callback);
  return () => listeners[name].delete(callback);
}

function dispatch(name, event) {
  let data;
  try {
    data = JSON.parse(event.data);
  } catch {
    return;
  }
  for (const callback of [...listeners[name]]) callback(data);
}

export function open() {
  close();
  if (typeof EventSource === 'undefined') return;
  source = new EventSource('api/v1/stream');
  for (const name of Object.keys(listeners)) {
    source.addEventListener(name, (event) => dispatch(name, event));
  }
}

export function close() {
  if (source) source.close();
  source = null;
}

export function live() {
  return source !== null && source.readyState === EventSource.OPEN;
}
