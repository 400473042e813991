package service

import "strconv"

// renderWindows describes the Windows service. There is no file: the SCM
// keeps the configuration in the registry.
func renderWindows(cfg Config, args []string) Plan {
	return Plan{
		Platform:     PlatformWindows,
		Name:         WindowsName,
		DisplayName:  displayName,
		Description:  description,
		Executable:   cfg.Executable,
		Arguments:    args,
		StartType:    "automatic",
		OnFailure:    "restart",
		RestartDelay: strconv.Itoa(restartSec) + "s",
	}
}
