/** Small line icons (inline SVG, decorative: the controls that use them carry their own labels). */
const Svg = ({ children, size = 16 }: { children: any, size?: number }) => (
  <svg class='icon' width={size} height={size} viewBox='0 0 24 24' fill='none' stroke='currentColor' stroke-width='2' stroke-linecap='round' stroke-linejoin='round' aria-hidden='true' focusable='false'>{children}</svg>
)

export const IconCopy = () => <Svg><rect x='9' y='9' width='12' height='12' rx='2' /><path d='M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1' /></Svg>
export const IconCheck = () => <Svg><path d='M20 6 9 17l-5-5' /></Svg>
export const IconSearch = () => <Svg><circle cx='11' cy='11' r='7' /><path d='m20 20-3.5-3.5' /></Svg>
export const IconExternal = () => <Svg size={14}><path d='M14 4h6v6' /><path d='M20 4 10 14' /><path d='M19 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1h5' /></Svg>
export const IconBlock = () => <Svg size={14}><circle cx='12' cy='12' r='9' /><path d='m5.6 5.6 12.8 12.8' /></Svg>
export const IconPlus = () => <Svg size={14}><path d='M12 5v14M5 12h14' /></Svg>
export const IconUpload = () => <Svg size={14}><path d='M12 16V4' /><path d='m6 10 6-6 6 6' /><path d='M4 20h16' /></Svg>
export const IconTrash = () => <Svg size={14}><path d='M4 7h16' /><path d='M10 11v6M14 11v6' /><path d='M6 7l1 13h10l1-13' /><path d='M9 7V4h6v3' /></Svg>
export const IconReload = () => <Svg size={14}><path d='M20 11a8 8 0 1 0-2.3 5.7' /><path d='M20 4v7h-7' /></Svg>
export const IconSave = () => <Svg size={14}><path d='M5 3h11l3 3v13a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z' /><path d='M7 3v5h8V3' /><rect x='7' y='13' width='10' height='6' rx='1' /></Svg>
export const IconPeers = () => <Svg size={18}><circle cx='9' cy='8' r='3.5' /><path d='M2.5 20a6.5 6.5 0 0 1 13 0' /><circle cx='17.5' cy='9' r='2.5' /><path d='M16 14.2a5 5 0 0 1 6 4.8' /></Svg>
export const IconSite = () => <Svg size={18}><rect x='3' y='4' width='18' height='16' rx='2' /><path d='M3 9h18' /><path d='M7 6.5h.01M10 6.5h.01' /></Svg>
export const IconPlug = () => <Svg size={18}><path d='M9 2v5M15 2v5' /><path d='M6 7h12v4a6 6 0 0 1-12 0z' /><path d='M12 17v5' /></Svg>
export const IconPulse = () => <Svg size={18}><path d='M3 12h4l3-7 4 14 3-7h4' /></Svg>
export const IconFile = () => <Svg size={15}><path d='M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z' /><path d='M14 3v5h5' /></Svg>
export const IconImage = () => <Svg size={15}><rect x='3' y='4' width='18' height='16' rx='2' /><circle cx='9' cy='10' r='2' /><path d='m21 16-5-5-9 9' /></Svg>
export const IconCode = () => <Svg size={15}><path d='m8 8-5 4 5 4' /><path d='m16 8 5 4-5 4' /></Svg>
export const IconDatabase = () => <Svg size={18}><ellipse cx='12' cy='5.5' rx='8' ry='3' /><path d='M4 5.5v13c0 1.7 3.6 3 8 3s8-1.3 8-3v-13' /><path d='M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3' /></Svg>
export const IconTable = () => <Svg size={15}><rect x='3' y='4' width='18' height='16' rx='2' /><path d='M3 10h18M3 15h18M9 10v10' /></Svg>
export const IconEdit = () => <Svg size={14}><path d='M4 20h4L19 9a2.8 2.8 0 0 0-4-4L4 16z' /><path d='m13.5 6.5 4 4' /></Svg>
export const IconChevronLeft = () => <Svg size={14}><path d='m15 6-6 6 6 6' /></Svg>
export const IconChevronRight = () => <Svg size={14}><path d='m9 6 6 6-6 6' /></Svg>
export const IconTemplates = () => <Svg size={18}><rect x='3' y='3' width='8' height='10' rx='1.5' /><rect x='13' y='3' width='8' height='6' rx='1.5' /><rect x='13' y='11' width='8' height='10' rx='1.5' /><rect x='3' y='15' width='8' height='6' rx='1.5' /></Svg>
export const IconFolder = () => <Svg size={14}><path d='M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2.5h8.5A1.5 1.5 0 0 1 21 9v9.5a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 18.5z' /></Svg>
