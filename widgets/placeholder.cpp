namespace wl { void widgetsLinked() {} }
