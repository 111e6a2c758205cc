; gpmc-desktop for Windows: a per-user installer (no administrator rights), NSIS 3.08 or later, Unicode.
;
;   makensis -DVERSION=0.1.0 -DPAYLOAD_DIR=<the PyInstaller folder> [-DOUTFILE=<setup.exe>] gpmc-desktop.nsi
;   python installer/build.py --installer       (does exactly that, with the cached bundle)
;
; Optional defines: VERSION4 (a.b.c.d for the version resource), OUTFILE, NOCOMPRESS (fast test builds),
; SIGN_COMMAND (signs the uninstaller and the installer, "%1" is the file: see .github/workflows/windows.yml).
;
; Installs to %LOCALAPPDATA%\Programs\gpmc-desktop; the user's data lives elsewhere, in %LOCALAPPDATA%\gpmc-desktop
; (platformdirs' user_data_dir, not roaming), and is never touched by an install or upgrade.  Uses only the
; plugins that ship with NSIS itself (System), so Debian's nsis package compiles it as well as Windows' NSIS.
;
; Silent use (IT): setup.exe /S [/AUTOSTART=0|1] [/D=C:\path]   -- uninstall.exe /S keeps the user's data.

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
!ifdef NOCOMPRESS
  SetCompress off
!else
  SetCompressor /SOLID lzma
!endif

!ifndef VERSION
  !error "define VERSION (e.g. -DVERSION=0.1.0); installer/build.py passes gpmc_desktop.__version__"
!endif
!ifndef VERSION4
  !define VERSION4 "${VERSION}.0"
!endif
!ifndef PAYLOAD_DIR
  !define PAYLOAD_DIR "..\dist\gpmc-desktop"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\dist\gpmc-desktop-${VERSION}-setup.exe"
!endif

!define APP_NAME "gpmc-desktop"
!define APP_EXE "gpmc-desktop.exe"
!define CLI_EXE "gpmc.exe"
!define PUBLISHER "gpmc-desktop team"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_NAME}"
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define RUN_VALUE "gpmc-desktop"               ; the same value the app's own setting writes (ui/autostart.py)
!define APP_MUTEX "Local\gpmc-desktop"         ; held by every running gpmc-desktop of this Windows session
!define SETUP_MUTEX "Local\gpmc-desktop-setup" ; one installer at a time
!define DATA_DIR "$LOCALAPPDATA\gpmc-desktop"  ; profiles, state database, audit history, logs

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"

!ifdef SIGN_COMMAND
  !uninstfinalize `${SIGN_COMMAND}`  ; backquotes: the command has its own quotes
  !finalize `${SIGN_COMMAND}`
!endif

; ------------------------------------------------------------------------------------------------ pages
!define MUI_ICON "..\resources\icons\app.ico"
!define MUI_UNICON "..\resources\icons\app.ico"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TEXT "This installs ${APP_NAME} ${VERSION} for you only (no administrator rights needed).$\r$\n$\r$\nIf ${APP_NAME} is already installed it is upgraded in place: your sync profiles, history and saved passwords are kept.$\r$\n$\r$\nClick Next to continue."
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME} now"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

VIProductVersion "${VERSION4}"
VIFileVersion "${VERSION4}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${APP_NAME} ${VERSION} setup"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "Proprietary. All rights reserved."

; ------------------------------------------------------------------------------------------------ running?
; Refuse to replace or remove files under a running app: its named mutex (the tray app, wherever it runs from),
; then the installed executables themselves, which Windows will not open for writing while any process runs
; them (this also catches a scheduled `gpmc sync`).  Retry or Cancel; a silent run gives up with exit code 2.
!macro SET_R9_IF_LOCKED FILE
  ${If} ${FileExists} "${FILE}"
    ClearErrors
    FileOpen $1 "${FILE}" a  ; opened for writing, nothing written: fails with a sharing violation while running
    ${If} ${Errors}
      StrCpy $R9 "running"
    ${Else}
      FileClose $1
    ${EndIf}
  ${EndIf}
!macroend

!macro DEFINE_REFUSE_IF_RUNNING PREFIX
Function ${PREFIX}RefuseIfRunning
  retry:
  StrCpy $R9 ""
  System::Call 'kernel32::OpenMutexW(i 0x00100000, i 0, w "${APP_MUTEX}") p .r0'  ; 0x00100000 = SYNCHRONIZE
  ${If} $0 <> 0
    System::Call 'kernel32::CloseHandle(p r0)'
    StrCpy $R9 "running"
  ${EndIf}
  !insertmacro SET_R9_IF_LOCKED "$INSTDIR\${APP_EXE}"
  !insertmacro SET_R9_IF_LOCKED "$INSTDIR\${CLI_EXE}"
  ${If} $R9 == ""
    Return
  ${EndIf}
  MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${APP_NAME} is running.$\r$\n$\r$\nQuit it first: right-click its icon in the notification area and choose Quit. (A scheduled gpmc command-line sync may also be running.)$\r$\n$\r$\nThen click Retry." /SD IDCANCEL IDRETRY retry
  SetErrorLevel 2
  Quit
FunctionEnd
!macroend
!insertmacro DEFINE_REFUSE_IF_RUNNING ""
!insertmacro DEFINE_REFUSE_IF_RUNNING "un."

; ------------------------------------------------------------------------------------------------ install
Section "${APP_NAME} (required)" SEC_APP
  SectionIn RO
  Call RefuseIfRunning  ; again: the folder may have changed since .onInit, and the app may have been started
  SetOutPath "$INSTDIR"
  ; Upgrade in place: remove the previous version's program files so no stale module outlives it.  Only what
  ; this installer puts here; the data folder is elsewhere and is never touched.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  File /r "${PAYLOAD_DIR}\*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\${APP_EXE}" 0 \
    SW_SHOWNORMAL "" "Sync Dynamics GP customers and invoices into Mailchimp"

  ; Add/Remove Programs ("Installed apps"), for this user only
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE},0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0
SectionEnd

Section "Start with Windows" SEC_AUTOSTART
  ; Per user, no rights needed; the app's Settings can switch it later (the same registry value).
  WriteRegStr HKCU "${RUN_KEY}" "${RUN_VALUE}" '"$INSTDIR\${APP_EXE}"'
SectionEnd

Section "-apply the start-with-Windows choice"
  ${IfNot} ${SectionIsSelected} ${SEC_AUTOSTART}
    DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"
  ${EndIf}
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_APP} "The tray app, the gpmc command line and a Start menu shortcut."
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_AUTOSTART} "Start ${APP_NAME} in the notification area when you sign in, so scheduled syncs run."
!insertmacro MUI_FUNCTION_DESCRIPTION_END

Function .onInit
  System::Call 'kernel32::CreateMutexW(p 0, i 0, w "${SETUP_MUTEX}") p .r0 ?e'
  Pop $1
  ${If} $1 = 183  ; ERROR_ALREADY_EXISTS
    MessageBox MB_OK|MB_ICONEXCLAMATION "The ${APP_NAME} installer is already running." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  Call RefuseIfRunning

  ; Start with Windows: on an upgrade keep what the user chose (in this installer or in the app's Settings);
  ; /AUTOSTART=0|1 decides for silent deployments.
  ReadRegStr $0 HKCU "${UNINST_KEY}" "DisplayVersion"
  ${If} $0 != ""
    ReadRegStr $1 HKCU "${RUN_KEY}" "${RUN_VALUE}"
    ${If} $1 == ""
      !insertmacro UnselectSection ${SEC_AUTOSTART}
    ${EndIf}
  ${EndIf}
  ${GetParameters} $2
  ClearErrors
  ${GetOptions} $2 "/AUTOSTART=" $3
  ${IfNot} ${Errors}
    ${If} $3 == "0"
      !insertmacro UnselectSection ${SEC_AUTOSTART}
    ${Else}
      !insertmacro SelectSection ${SEC_AUTOSTART}
    ${EndIf}
  ${EndIf}
FunctionEnd

Function .onVerifyInstDir
  ; Never install into the data folder: an upgrade or uninstall would then clear program files among the data.
  ${If} $INSTDIR == "${DATA_DIR}"
  ${OrIf} $INSTDIR == "${DATA_DIR}\"
    Abort
  ${EndIf}
FunctionEnd

; ------------------------------------------------------------------------------------------------ uninstall
Function un.onInit
  Call un.RefuseIfRunning
FunctionEnd

Section "Uninstall"
  ; Ask before removing anything.  Silent uninstalls (/S) keep the data.
  StrCpy $R0 "keep"
  ${If} ${FileExists} "${DATA_DIR}\*.*"
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also delete your ${APP_NAME} data?$\r$\n$\r$\n${DATA_DIR}$\r$\nholds your sync profiles, the sync state, the audit history and the logs. Keep it to reinstall later and carry on where you left off.$\r$\n$\r$\nSaved GP passwords and Mailchimp API keys are in Windows Credential Manager, which this uninstaller cannot clear. To remove them, delete each profile in ${APP_NAME} before uninstalling, or remove the entries named gpmc-desktop/<profile> under Control Panel > Credential Manager > Windows Credentials." /SD IDNO IDNO +2
    StrCpy $R0 "delete"
  ${EndIf}

  DeleteRegValue HKCU "${RUN_KEY}" "${RUN_VALUE}"
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  ; Only what the installer put here, then the folder if it is empty: never a recursive delete of $INSTDIR,
  ; which the user may have pointed at a folder holding other files.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINST_KEY}"

  ${If} $R0 == "delete"
    RMDir /r "${DATA_DIR}"
  ${EndIf}
SectionEnd
