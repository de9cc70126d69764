export { SystemConfigModule } from './system-config.module';
export { SystemConfigService, type SettingView } from './system-config.service';
export { SecretBox } from './secret-box.service';
export {
  SETTINGS,
  settingKey,
  isSettingKey,
  isSecretSetting,
  settingBounds,
  UnknownSettingError,
  InvalidSettingError,
  type SettingKey,
  type SettingValue,
  type SettingRange,
} from './domain/settings';
export { fernetEncrypt, fernetDecrypt, parseFernetKey, generateFernetKey, FernetError } from './domain/fernet';
