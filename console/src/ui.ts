import { ElMessage, ElMessageBox } from 'element-plus';
import 'element-plus/es/components/message/style/css';
import 'element-plus/es/components/message-box/style/css';
import { ApiError } from './api.js';
import { t } from './i18n.js';

/* Messages and confirmations: the server's own reason (resultMsg) is shown as it is. */

export function errorText(error: unknown): string {
  if (error instanceof ApiError)
    return error.code === 404 ? `${t('error.notFound')} (${error.message})` : error.message;
  return error instanceof Error ? error.message : String(error);
}

export function showError(error: unknown): void {
  // A 401 has already sent the user to sign-in.
  if (error instanceof ApiError && error.code === 401) return;
  ElMessage({ type: 'error', message: errorText(error), duration: 6000, showClose: true, customClass: 'api-error' });
}

export function showSuccess(message: string): void {
  ElMessage({ type: 'success', message });
}

/** Asks before doing something; resolves false when the user cancels. */
export async function confirm(message: string): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, t('common.confirmTitle'), {
      confirmButtonText: t('common.confirm'),
      cancelButtonText: t('common.cancel'),
      type: 'warning',
    });
    return true;
  } catch {
    return false;
  }
}
