// A receiver imports HeraldVerify alone and gets the scheme description and the presets with it.
@_exported import struct HeraldCore.SignatureScheme
@_exported import enum HeraldCore.SignaturePreset
