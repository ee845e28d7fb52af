"""Why a game server's players could not be read."""


class GameQueryError(Exception):
    """The game did not tell its players."""


class GameNotAnsweringError(GameQueryError):
    """The game did not answer in time, or refused the connection."""


class GameAnswerInvalidError(GameQueryError):
    """The game answered something that is not its protocol's answer."""
