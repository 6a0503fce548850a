from scalelint.cli import main

raise SystemExit(main())
