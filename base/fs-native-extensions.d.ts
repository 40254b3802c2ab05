// Types for the two calls of fs-native-extensions that base/real-fs.ts uses (the package ships none).
// Declarations only: nothing here runs.

declare module 'fs-native-extensions' {
  interface LockOptions {
    /** A read (shared) lock rather than a write (exclusive) one; the fd must be open for reading, or for writing when not shared. */
    shared?: boolean
  }
  const fsNativeExtensions: {
    /** Takes the whole-file lock without waiting: true when granted, false when another holder excludes it. */
    tryLock(fd: number, options?: LockOptions): boolean
    unlock(fd: number): void
  }
  export default fsNativeExtensions
}
