from wapiz.cli import main

main()
