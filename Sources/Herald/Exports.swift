@_exported import HeraldCore
