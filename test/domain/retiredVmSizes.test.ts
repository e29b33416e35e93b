import { describe, expect, it } from 'vitest';
import { retiredVmSizeMessage, vmSizeRetirement } from '../../src/domain/retiredVmSizes.js';

describe('vmSizeRetirement', () => {
  it('knows the NCv3 sizes retired on 2025-09-30, in any case', () => {
    for (const size of ['Standard_NC6s_v3', 'standard_nc12s_v3', 'Standard_NC24s_v3', 'Standard_NC24rs_v3']) {
      expect(vmSizeRetirement(size, '2026-12-01'), size).toEqual({
        series: 'NCv3',
        retiredOn: '2025-09-30',
        replacement: 'an NC A100 v4 size such as Standard_NC24ads_A100_v4',
      });
    }
  });

  it('does not call a size retired before its date, nor a live size ever', () => {
    expect(vmSizeRetirement('Standard_NC6s_v3', '2025-09-29')).toBe(undefined);
    expect(vmSizeRetirement('Standard_NC24ads_A100_v4', '2026-12-01')).toBe(undefined);
    expect(vmSizeRetirement('constructor', '2026-12-01')).toBe(undefined);
  });

  it('says where the size is set, when it retired and what to use', () => {
    const retirement = vmSizeRetirement('Standard_NC6s_v3', '2026-12-01');
    expect(
      retirement && retiredVmSizeMessage('Standard_NC6s_v3', 'INFERENCE_INSTANCE_TYPE', retirement),
    ).toBe(
      'INFERENCE_INSTANCE_TYPE uses Standard_NC6s_v3, an NCv3 size Azure retired on 2025-09-30; use an NC A100 v4 size such as Standard_NC24ads_A100_v4',
    );
  });
});
