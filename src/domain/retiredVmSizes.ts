// VM sizes Azure has retired: a cluster or deployment on one of them cannot run, so a run refuses
// it before any GPU is asked for (COMPUTE.VM_SIZE_RETIRED) rather than failing in Azure.
// Sources (see docs/azure-facts.md): MicrosoftDocs/azure-docs
// articles/virtual-machines/ncv3-nc6s-nc12s-nc24s-retirement.md ("On September 30, 2025, Microsoft
// Azure will retire the Standard_NC6s_v3, Standard_NC12s_v3 and Standard_NC24s_v3 virtual
// machines") and the NC24rs_v3 migration guide ("All the NCv3-series VM sizes, including
// Standard_NC24rs_v3, will be retired on September 30, 2025").

export interface VmSizeRetirement {
  readonly series: string;
  readonly retiredOn: string;
  readonly replacement: string;
}

const NCV3: VmSizeRetirement = {
  series: 'NCv3',
  retiredOn: '2025-09-30',
  replacement: 'an NC A100 v4 size such as Standard_NC24ads_A100_v4',
};

const RETIRED: Readonly<Record<string, VmSizeRetirement>> = {
  standard_nc6s_v3: NCV3,
  standard_nc12s_v3: NCV3,
  standard_nc24s_v3: NCV3,
  standard_nc24rs_v3: NCV3,
};

/** The retirement of `vmSize` if it is retired on `today` (YYYY-MM-DD); sizes compare case-insensitively. */
export function vmSizeRetirement(vmSize: string, today: string): VmSizeRetirement | undefined {
  const key = vmSize.toLowerCase();
  const retirement = Object.hasOwn(RETIRED, key) ? RETIRED[key] : undefined;
  return retirement !== undefined && today >= retirement.retiredOn ? retirement : undefined;
}

/** The message that names the size, where it is set, the date and what to use instead. */
export function retiredVmSizeMessage(vmSize: string, where: string, retirement: VmSizeRetirement): string {
  return `${where} uses ${vmSize}, an ${retirement.series} size Azure retired on ${retirement.retiredOn}; use ${retirement.replacement}`;
}
