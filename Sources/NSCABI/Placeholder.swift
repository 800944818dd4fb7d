import NSCore
