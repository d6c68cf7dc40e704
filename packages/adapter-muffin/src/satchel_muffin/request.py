"""`Request`: Muffin's request with ``session`` typed as `satchel.Session`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asgi_tools

if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any, Protocol

    from multidict import CIMultiDict, MultiDictProxy
    from yarl import URL

    from satchel import Session

    class Request(Protocol):
        """`muffin.Request` with ``request.session`` a `satchel.Session` (where the plugin
        named ``session`` keeps it: with ``auto_manage``, or once a load, login or logout
        put it there). A protocol every `muffin.Request` satisfies, since Muffin's route
        decorator takes only views of its own request type, which a subclass is not. The
        rest of the scope (``request.path_params``...) reads as in Muffin, untyped."""

        session: Session
        scope: MutableMapping[str, Any]

        @property
        def url(self) -> URL: ...
        @property
        def headers(self) -> CIMultiDict[str]: ...
        @property
        def cookies(self) -> dict[str, str]: ...
        @property
        def query(self) -> MultiDictProxy[str]: ...
        @property
        def content_type(self) -> str: ...
        async def body(self) -> bytes: ...
        async def text(self) -> str: ...
        async def json(self) -> Any: ...
        async def form(self, *args: Any, **kwargs: Any) -> Any: ...
        async def data(self, *args: Any, **kwargs: Any) -> Any: ...
        def __getitem__(self, key: str) -> Any: ...
        def __setitem__(self, key: str, value: Any) -> None: ...
        def __contains__(self, key: object) -> bool: ...
        def __getattr__(self, name: str) -> Any: ...

else:
    Request = asgi_tools.Request  # at run time, Muffin's own class: nothing wrapped or paid
