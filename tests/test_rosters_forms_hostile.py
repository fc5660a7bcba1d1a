"""the form flow's CAPTCHA and fee checks."""
from __future__ import annotations

import pytest

from scraper.sources import boardforms


@pytest.mark.parametrize("html", [
    '<form><img src="/CaptchaImage.axd?guid=1"><input name=captcha_code></form>',  # unquoted
    '<form><input type="text" name="ctl00$txtCaptcha"></form>',
    '<form><div data-sitekey="x" class="frc-captcha"></div></form>',  # Friendly Captcha
])
def test_a_captcha_is_seen(html):
    assert boardforms.challenge(html), html


class Cfg:
    source_id = "nj-mylicense"
    options = {"form_url": "https://newjersey.mylicense.com/Verification_Bulk/Search.aspx",
               "confirm_pattern": "confirm|continue"}


class Posted(Exception):
    pass


class FakeFetcher:
    def post(self, url, form):
        raise Posted(url)


@pytest.mark.parametrize("html", [
    # the amount in a read-only text box, as ASP.NET order pages show totals
    '<form action="Order.aspx"><input name="txtTotal" value="$25.00" readonly>'
    '<input type="submit" name="btnConfirm" value="Confirm"></form>',
    # an amount written without a dollar sign
    '<form action="Order.aspx"><p>Total due: 25.00 USD</p>'
    '<input type="submit" name="btnConfirm" value="Confirm"></form>',
    '<form action="Order.aspx"><p>Fee: USD 1,250</p>'
    '<input type="submit" name="btnConfirm" value="Confirm"></form>',
])
def test_a_fee_is_never_confirmed(html):
    url = "https://newjersey.mylicense.com/Verification_Bulk/Order.aspx"
    with pytest.raises(Exception) as info:
        boardforms._confirm(FakeFetcher(), Cfg(), html, url)
    assert not isinstance(info.value, Posted), "the order with a fee was posted"
