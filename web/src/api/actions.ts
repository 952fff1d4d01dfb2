// The command actions the dashboard knows, one entry each: the label, how
// the Commands tab offers it and how its result is shown. The server's
// table is core/app/commands/actions and the agent's agent/commands; a new
// action is one entry here (internal/archtest checks the three agree).

/** How the dashboard offers an action and shows its result. */
export interface ActionInfo {
  label: string
  /** A one-click button among the quick actions (it takes no payload). */
  quick?: boolean
  /** A button that asks first (it takes no payload either). */
  confirm?: { title: (hostname: string) => string; confirmLabel: string; body: string }
  /** The table its result data is shown in, besides the output. */
  result?: 'processes' | 'services'
}

export const ACTIONS = {
  list_processes: { label: 'List processes', quick: true, result: 'processes' },
  list_services: { label: 'List services', quick: true, result: 'services' },
  collect_inventory: { label: 'Collect inventory', quick: true },
  uptime: { label: 'Uptime', quick: true },
  run_script: { label: 'Run script' },
  kill_process: { label: 'Kill process' },
  restart_service: { label: 'Restart service' },
  discover: { label: 'Discover' },
  reboot: {
    label: 'Reboot',
    confirm: {
      title: (host: string) => `Reboot ${host}?`,
      confirmLabel: 'Reboot',
      body: 'The machine restarts now; anyone working on it loses unsaved work.',
    },
  },
  uninstall_agent: {
    label: 'Uninstall agent',
    confirm: {
      title: (host: string) => `Uninstall the agent from ${host}?`,
      confirmLabel: 'Uninstall',
      body: 'The agent removes itself. The device can no longer be managed until it is enrolled again.',
    },
  },
} as const satisfies Record<string, ActionInfo>

export type CommandAction = keyof typeof ACTIONS

const table: Record<string, ActionInfo | undefined> = ACTIONS

/** The action's entry; undefined for one this dashboard does not know. */
export function actionInfo(a: string): ActionInfo | undefined {
  return Object.hasOwn(ACTIONS, a) ? table[a] : undefined
}

export function actionLabel(a: string): string {
  return actionInfo(a)?.label ?? a
}

const names = Object.keys(ACTIONS) as CommandAction[]

/** The actions whose entry asks first. */
export type ConfirmedAction = { [K in CommandAction]: (typeof ACTIONS)[K] extends { confirm: object } ? K : never }[CommandAction]

/** One-click actions, in table order. */
export const QUICK_ACTIONS = names.filter((a) => actionInfo(a)?.quick)

/** Actions offered behind a confirmation, in table order. */
export const CONFIRMED_ACTIONS = names.filter((a): a is ConfirmedAction => actionInfo(a)?.confirm !== undefined)
