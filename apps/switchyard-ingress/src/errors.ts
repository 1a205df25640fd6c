// One FlagError for every Switchyard command line (the flags are read by @switchyard/kube).
export { FlagError } from '@switchyard/kube';
