import TLCLI
import Foundation

exit(runCommandLine(CommandLine.arguments))
