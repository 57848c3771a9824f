"""Tesla accounts and the OAuth tokens the simulator issues for them.

Access tokens look like Tesla's: unsigned JWTs whose claims carry the account
(``sub``), the region (``ou_code``), the Fleet API audience and the granted scopes, so a
client can read its region from the token as it would with Tesla's.  Refresh tokens are
single use, as Tesla's have been since 2024-02-01: a used one answers ``login_required``.

Tokens remember the ``client_id`` of the application they were issued to (from the
authorize request), so ``fleet_status`` can judge pairing against that application's
registered key.  Partner tokens (the client-credentials grant) belong to an
application, not to an account.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
import json
import secrets

ALL_SCOPES = (
    "openid",
    "offline_access",
    "user_data",
    "vehicle_device_data",
    "vehicle_location",
    "vehicle_cmds",
    "vehicle_charging_cmds",
)
ACCESS_TOKEN_LIFETIME = 8 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Account:
    """A Tesla account with its vehicles."""

    account_id: str
    email: str
    full_name: str
    region: str = "na"
    vins: list[str] = field(default_factory=list)

    def profile(self) -> dict[str, object]:
        return {
            "email": self.email,
            "full_name": self.full_name,
            "profile_image_url": "",
            "vault_uuid": self.account_id,
        }


@dataclass
class AccessToken:
    account_id: str
    """Empty for a partner token."""
    expires_at: float
    scopes: tuple[str, ...]
    client_id: str | None = None
    partner: bool = False


@dataclass
class RefreshToken:
    account_id: str
    scopes: tuple[str, ...]
    used: bool = False
    client_id: str | None = None


def _jwt(claims: dict[str, object]) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    return f"{header}.{payload}.{_b64(secrets.token_bytes(16))}"


@dataclass
class TokenStore:
    """Every token the simulator has issued."""

    access: dict[str, AccessToken] = field(default_factory=dict)
    refresh: dict[str, RefreshToken] = field(default_factory=dict)
    codes: dict[str, tuple[str, tuple[str, ...], str | None]] = field(default_factory=dict)

    def issue(
        self,
        account: Account,
        now: float,
        *,
        scopes: tuple[str, ...] = ALL_SCOPES,
        lifetime: float = ACCESS_TOKEN_LIFETIME,
        access_token: str | None = None,
        refresh_token: str | None = None,
        audience: str = "",
        client_id: str | None = None,
    ) -> dict[str, object]:
        """Create an access/refresh pair and return Tesla's token response."""
        if access_token is None:
            claims = {
                "iss": "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts",
                "sub": account.account_id,
                "aud": [audience] if audience else [],
                "ou_code": account.region.upper(),
                "scp": list(scopes),
                "iat": int(now),
                "exp": int(now + lifetime),
                "jti": secrets.token_hex(8),
            }
            access_token = _jwt(claims)
        if refresh_token is None:
            refresh_token = f"{account.region.upper()}_{secrets.token_hex(24)}"
        self.access[access_token] = AccessToken(account.account_id, now + lifetime, scopes, client_id)
        self.refresh[refresh_token] = RefreshToken(account.account_id, scopes, client_id=client_id)
        return {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "id_token": _b64(secrets.token_bytes(24)),
            "expires_in": int(lifetime),
            "token_type": "Bearer",
        }

    def issue_partner(
        self, client_id: str, now: float, *, scopes: tuple[str, ...], audience: str = ""
    ) -> dict[str, object]:
        """A partner token (client-credentials grant): ``sub`` is the application."""
        claims = {
            "iss": "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts",
            "sub": client_id,
            "aud": [audience] if audience else [],
            "scp": list(scopes),
            "iat": int(now),
            "exp": int(now + ACCESS_TOKEN_LIFETIME),
            "jti": secrets.token_hex(8),
        }
        token = _jwt(claims)
        self.access[token] = AccessToken("", now + ACCESS_TOKEN_LIFETIME, scopes, client_id, partner=True)
        return {"access_token": token, "expires_in": ACCESS_TOKEN_LIFETIME, "token_type": "Bearer"}

    def issue_code(self, account: Account, scopes: tuple[str, ...], client_id: str | None = None) -> str:
        code = f"{account.region.upper()}_{secrets.token_hex(16)}"
        self.codes[code] = (account.account_id, scopes, client_id)
        return code

    def expire_access(self, now: float, token: str | None = None) -> int:
        """Admin: make one or every access token expired. Returns how many."""
        targets = [token] if token else list(self.access)
        count = 0
        for key in targets:
            if key in self.access:
                self.access[key].expires_at = min(self.access[key].expires_at, now - 1)
                count += 1
        return count

    def revoke_refresh(self, token: str | None = None) -> int:
        """Admin: mark one or every refresh token used (as after a password reset)."""
        targets = [token] if token else list(self.refresh)
        found = [key for key in targets if key in self.refresh]
        for key in found:
            self.refresh[key].used = True
        return len(found)
