/** The SDK's own version. Plugins declare the range they were written for in `sdk`; the host refuses a mismatch. */
export const SDK_VERSION = '1.3.0'
