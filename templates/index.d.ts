/** The absolute path of the folder that holds the bundled templates (one sub-folder each). */
export declare const templatesDir: string
export default templatesDir
