// libp2p 3 calls Promise.withResolvers (a Node 22 API) all over; Node 20 lacks it. The kernel and any
// plugin that uses libp2p itself import `@goop/sdk/node-polyfill` before anything from libp2p loads.
declare global {
  interface PromiseConstructor {
    withResolvers<T>(): { promise: Promise<T>, resolve: (v: T | PromiseLike<T>) => void, reject: (r?: unknown) => void }
  }
}

if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T> () {
      let resolve!: (v: T | PromiseLike<T>) => void
      let reject!: (r?: unknown) => void
      const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}

export {}
